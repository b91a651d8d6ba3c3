import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointConfigCommand,
  paginateListEndpointConfigs,
  paginateListModels,
  paginateListTags,
} from '@aws-sdk/client-sagemaker';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { EndpointCleanup } from '../../core/ports/model-hosting.js';
import { RESOURCE_NAME_MAX, isSageMakerName } from '../../core/run/job-names.js';
import { callAws, callAwsTolerating, isSageMakerNotFound } from './aws-errors.js';
import { ENDPOINT_TAG, InvalidHostingRequestError, describeEndpoint } from './sagemaker-endpoints.js';

const LIST_PAGE_SIZE = 100; // ListEndpointConfigs / ListModels MaxResults: 1 to 100.

/**
 * Deletes the models and endpoint configs that earlier deployments of a SageMaker endpoint left behind (PromoteModel's
 * cleanup), beyond the `keep` newest. It deletes only what is tagged as created for the endpoint (see
 * {@link ENDPOINT_TAG}), and never the config the endpoint serves (or is moving to), nor the models of the configs it
 * keeps. A resource already gone counts as deleted, so a retried cleanup finishes the work of the first.
 */
export class SageMakerEndpointCleanup implements EndpointCleanup {
  public constructor(private readonly sagemaker: SageMakerClient) {}

  public async cleanup(endpointName: string, keep: number): Promise<{ deleted: string[] }> {
    if (!Number.isInteger(keep) || keep < 0) throw new InvalidHostingRequestError(`keep must be a whole number of at least 0 (got ${keep})`);
    if (!isSageMakerName(endpointName, RESOURCE_NAME_MAX)) throw new InvalidHostingRequestError(`"${endpointName}" is not a SageMaker endpoint name`);

    const endpoint = await describeEndpoint(this.sagemaker, endpointName);
    const serving = [endpoint?.EndpointConfigName, endpoint?.PendingDeploymentSummary?.EndpointConfigName].filter(
      (name): name is string => name !== undefined,
    );

    const configs = await this.owned(endpointName, await this.listEndpointConfigs(endpointName));
    const keptConfigs = new Set([...serving, ...configs.slice(0, keep).map((config) => config.name)]);
    const doomedConfigs = configs.filter((config) => !keptConfigs.has(config.name));

    const protectedModels = new Set<string>();
    for (const config of keptConfigs) for (const model of await this.modelsOf(config)) protectedModels.add(model);
    const models = await this.owned(endpointName, await this.listModels(endpointName));
    const keptModels = new Set([...protectedModels, ...models.slice(0, keep).map((model) => model.name)]);
    const doomedModels = models.filter((model) => !keptModels.has(model.name));

    const deleted: string[] = [];
    for (const { name } of doomedConfigs) {
      await this.remove(`DeleteEndpointConfig ${name}`, () => this.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })));
      deleted.push(name);
    }
    for (const { name } of doomedModels) {
      await this.remove(`DeleteModel ${name}`, () => this.sagemaker.send(new DeleteModelCommand({ ModelName: name })));
      deleted.push(name);
    }
    return { deleted };
  }

  /** The models a config serves; none when the config is gone. */
  private async modelsOf(configName: string): Promise<string[]> {
    const out = await callAwsTolerating(
      `DescribeEndpointConfig ${configName}`,
      () => this.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName })),
      isSageMakerNotFound,
    );
    return [...(out?.ProductionVariants ?? []), ...(out?.ShadowProductionVariants ?? [])]
      .map((variant) => variant.ModelName)
      .filter((name): name is string => name !== undefined);
  }

  /** Every endpoint config whose name contains the endpoint's, newest first. */
  private async listEndpointConfigs(endpointName: string): Promise<Resource[]> {
    const found: Resource[] = [];
    const pages = paginateListEndpointConfigs(
      { client: this.sagemaker, pageSize: LIST_PAGE_SIZE },
      { NameContains: endpointName, SortBy: 'CreationTime', SortOrder: 'Descending' },
    );
    await callAws(`ListEndpointConfigs ${endpointName}`, async () => {
      for await (const page of pages) {
        for (const config of page.EndpointConfigs ?? []) {
          if (config.EndpointConfigName && config.EndpointConfigArn) found.push({ name: config.EndpointConfigName, arn: config.EndpointConfigArn });
        }
      }
    });
    return found;
  }

  /** Every model whose name contains the endpoint's, newest first. */
  private async listModels(endpointName: string): Promise<Resource[]> {
    const found: Resource[] = [];
    const pages = paginateListModels(
      { client: this.sagemaker, pageSize: LIST_PAGE_SIZE },
      { NameContains: endpointName, SortBy: 'CreationTime', SortOrder: 'Descending' },
    );
    await callAws(`ListModels ${endpointName}`, async () => {
      for await (const page of pages) {
        for (const model of page.Models ?? []) {
          if (model.ModelName && model.ModelArn) found.push({ name: model.ModelName, arn: model.ModelArn });
        }
      }
    });
    return found;
  }

  /**
   * The resources tagged as created for this endpoint. NameContains is a substring match: `sluice-dev-churn` also
   * finds the configs of `sluice-dev-churn-v2`, which the tag tells apart. Untagged resources are never touched.
   */
  private async owned(endpointName: string, resources: Resource[]): Promise<Resource[]> {
    const mine: Resource[] = [];
    for (const resource of resources) {
      if ((await this.endpointTag(resource.arn)) === endpointName) mine.push(resource);
    }
    return mine;
  }

  /** The value of the resource's {@link ENDPOINT_TAG}; the pages after the one holding it are not read. */
  private async endpointTag(arn: string): Promise<string | undefined> {
    return callAws(`ListTags ${arn}`, async () => {
      for await (const page of paginateListTags({ client: this.sagemaker }, { ResourceArn: arn })) {
        const tag = page.Tags?.find((candidate) => candidate.Key === ENDPOINT_TAG);
        if (tag) return tag.Value;
      }
      return undefined;
    });
  }

  /** Sends a delete call; a resource already gone counts as deleted (a retried cleanup). */
  private async remove(action: string, send: () => Promise<unknown>): Promise<void> {
    await callAwsTolerating(action, send, isSageMakerNotFound);
  }
}

interface Resource {
  name: string;
  arn: string;
}
