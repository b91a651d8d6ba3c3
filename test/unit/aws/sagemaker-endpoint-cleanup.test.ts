import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type {
  DescribeEndpointCommandOutput,
  ListEndpointConfigsCommandInput,
  ListEndpointConfigsOutput,
  ListTagsCommandInput,
  ListTagsOutput,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { SageMakerEndpointCleanup } from '../../../aws/adapters/sagemaker-endpoint-cleanup.js';
import { InvalidHostingRequestError } from '../../../aws/adapters/sagemaker-endpoints.js';
import { TransientServiceError } from '../../../core/errors.js';
import type { PagedResponses } from './paged-responses.js';
import { pagedResponses } from './paged-responses.js';
import { ACCOUNT_ARN, ENDPOINT, endpoint, endpointNotFound, serviceError } from './sagemaker-endpoint-fixtures.js';

const sagemaker = mockClient(SageMakerClient);

describe('SageMakerEndpointCleanup', () => {
  const client = new SageMakerClient({ region: 'eu-west-1' });
  const cleanup = new SageMakerEndpointCleanup(client);

  beforeEach(() => {
    sagemaker.reset();
  });

  describe('cleanup', () => {
    const config = (n: number): string => `${ENDPOINT}-config-${n}`;
    const model = (n: number): string => `${ENDPOINT}-model-${n}`;
    const configArn = (name: string): string => `${ACCOUNT_ARN}:endpoint-config/${name}`;
    const modelArn = (name: string): string => `${ACCOUNT_ARN}:model/${name}`;
    const OTHER_CONFIG = `${ENDPOINT}-v2-config-1`;
    const UNTAGGED_MODEL = `${ENDPOINT}-model-manual`;

    /**
     * Five runs deployed configs and models 1..5 (5 newest); the endpoint serves config 2 (say, after a rollback).
     * The configs come on two pages; the pages are returned so a test can read the requests as they were sent.
     */
    function prepareFiveRuns(
      described: Partial<DescribeEndpointCommandOutput> = endpoint({ EndpointConfigName: config(2) }),
    ): PagedResponses<ListEndpointConfigsCommandInput, ListEndpointConfigsOutput> {
      sagemaker.on(DescribeEndpointCommand).resolves(described);
      const configPages = pagedResponses<ListEndpointConfigsCommandInput, ListEndpointConfigsOutput>([
        { EndpointConfigs: [config(5), OTHER_CONFIG, config(4), config(3)].map((name) => ({ EndpointConfigName: name, EndpointConfigArn: configArn(name), CreationTime: new Date() })) },
        { EndpointConfigs: [config(2), config(1)].map((name) => ({ EndpointConfigName: name, EndpointConfigArn: configArn(name), CreationTime: new Date() })) },
      ]);
      sagemaker.on(ListEndpointConfigsCommand).callsFake(configPages.answer);
      sagemaker.on(ListModelsCommand).resolves({
        Models: [model(5), model(4), UNTAGGED_MODEL, model(3), model(2), model(1)].map((name) => ({ ModelName: name, ModelArn: modelArn(name), CreationTime: new Date() })),
      });
      sagemaker.on(ListTagsCommand).resolves({ Tags: [{ Key: 'sluice:endpoint', Value: ENDPOINT }] });
      sagemaker.on(ListTagsCommand, { ResourceArn: configArn(OTHER_CONFIG) }).resolves({ Tags: [{ Key: 'sluice:endpoint', Value: `${ENDPOINT}-v2` }] });
      sagemaker.on(ListTagsCommand, { ResourceArn: modelArn(UNTAGGED_MODEL) }).resolves({ Tags: [] });
      for (const n of [1, 2, 3, 4, 5]) {
        sagemaker
          .on(DescribeEndpointConfigCommand, { EndpointConfigName: config(n) })
          .resolves({ EndpointConfigName: config(n), EndpointConfigArn: configArn(config(n)), ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model(n) }] });
      }
      sagemaker.on(DeleteEndpointConfigCommand).resolves({});
      sagemaker.on(DeleteModelCommand).resolves({});
      return configPages;
    }

    it('deletes the configs and models beyond the newest two, keeping the serving config and its model', async () => {
      // Prepare
      prepareFiveRuns();

      // Act
      const result = await cleanup.cleanup(ENDPOINT, 2);

      // Assess
      expect(result).toEqual({ deleted: [config(3), config(1), model(3), model(1)] });
      expect(sagemaker.commandCalls(DeleteEndpointConfigCommand).map((call) => call.args[0].input)).toEqual([
        { EndpointConfigName: config(3) },
        { EndpointConfigName: config(1) },
      ]);
      expect(sagemaker.commandCalls(DeleteModelCommand).map((call) => call.args[0].input)).toEqual([{ ModelName: model(3) }, { ModelName: model(1) }]);
    });

    it('lists configs and models whose name contains the endpoint name, newest first, page by page', async () => {
      // Prepare
      const configPages = prepareFiveRuns();

      // Act
      await cleanup.cleanup(ENDPOINT, 2);

      // Assess
      const listInput = { NameContains: ENDPOINT, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100 };
      expect(sagemaker.commandCalls(ListEndpointConfigsCommand)).toHaveLength(2);
      expect(configPages.sent).toEqual([listInput, { ...listInput, NextToken: 'page-2' }]);
      expect(sagemaker.commandCalls(ListModelsCommand).map((call) => call.args[0].input)).toEqual([listInput]);
    });

    it('reads the tags of a resource page by page until it finds the endpoint tag', async () => {
      // Prepare
      prepareFiveRuns();
      const tagPages = pagedResponses<ListTagsCommandInput, ListTagsOutput>([
        { Tags: [{ Key: 'sluice:model-version', Value: '5' }] },
        { Tags: [{ Key: 'sluice:endpoint', Value: ENDPOINT }] },
        { Tags: [{ Key: 'team', Value: 'never read' }] },
      ]);
      sagemaker.on(ListTagsCommand, { ResourceArn: configArn(config(5)) }).callsFake(tagPages.answer);

      // Act
      const { deleted } = await cleanup.cleanup(ENDPOINT, 0);

      // Assess
      expect(deleted).toContain(config(5));
      expect(tagPages.sent).toEqual([{ ResourceArn: configArn(config(5)) }, { ResourceArn: configArn(config(5)), NextToken: 'page-2' }]);
    });

    it('never deletes a config tagged for another endpoint nor an untagged model, even beyond the newest kept', async () => {
      // Prepare
      prepareFiveRuns();

      // Act
      const { deleted } = await cleanup.cleanup(ENDPOINT, 0);

      // Assess
      expect(deleted).not.toContain(OTHER_CONFIG);
      expect(deleted).not.toContain(UNTAGGED_MODEL);
      expect(deleted).toEqual([config(5), config(4), config(3), config(1), model(5), model(4), model(3), model(1)]);
    });

    it('keeps the config the endpoint is moving to and its model when an update is in progress', async () => {
      // Prepare
      prepareFiveRuns(endpoint({ EndpointStatus: 'Updating', EndpointConfigName: config(2), PendingDeploymentSummary: { EndpointConfigName: config(3) } }));

      // Act
      const { deleted } = await cleanup.cleanup(ENDPOINT, 0);

      // Assess
      expect(deleted).toEqual([config(5), config(4), config(1), model(5), model(4), model(1)]);
    });

    it('keeps only the newest when the endpoint does not exist', async () => {
      // Prepare
      prepareFiveRuns();
      sagemaker.on(DescribeEndpointCommand).rejects(endpointNotFound());

      // Act
      const { deleted } = await cleanup.cleanup(ENDPOINT, 1);

      // Assess
      expect(deleted).toEqual([config(4), config(3), config(2), config(1), model(4), model(3), model(2), model(1)]);
    });

    it('counts a config or model already gone as deleted when an earlier attempt deleted it', async () => {
      // Prepare
      prepareFiveRuns();
      sagemaker.on(DeleteEndpointConfigCommand).rejects(serviceError('ValidationException', `Could not find endpoint configuration "${configArn(config(3))}".`));
      sagemaker.on(DeleteModelCommand).rejects(serviceError('ValidationException', `Could not find model "${modelArn(model(3))}".`));

      // Act / Assess
      await expect(cleanup.cleanup(ENDPOINT, 2)).resolves.toEqual({ deleted: [config(3), config(1), model(3), model(1)] });
    });

    it('throws TransientServiceError and deletes nothing when listing the configs is throttled', async () => {
      // Prepare
      prepareFiveRuns();
      sagemaker.on(ListEndpointConfigsCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));

      // Act
      const error: unknown = await cleanup.cleanup(ENDPOINT, 2).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(TransientServiceError);
      expect((error as Error).message).toBe(`ListEndpointConfigs ${ENDPOINT} failed for now (ThrottlingException): Rate exceeded`);
      expect(sagemaker.commandCalls(DeleteEndpointConfigCommand)).toHaveLength(0);
      expect(sagemaker.commandCalls(DeleteModelCommand)).toHaveLength(0);
    });

    it('throws InvalidHostingRequestError and sends nothing when keep is negative', async () => {
      // Act / Assess
      await expect(cleanup.cleanup(ENDPOINT, -1)).rejects.toBeInstanceOf(InvalidHostingRequestError);
      expect(sagemaker.calls()).toHaveLength(0);
    });
  });
});
