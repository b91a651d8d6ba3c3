import { TerminalStepError } from '../../core/errors.js';

/** The BlazingText image tag: "use the `:1` version tag to ensure that you are using a stable version of the algorithm". */
export const BLAZINGTEXT_VERSION = '1';

/** The ECR repository SageMaker publishes the BlazingText algorithm in (training and inference alike). */
const REPOSITORY = 'blazingtext';

/**
 * The account hosting the `blazingtext` repository in each region (scopes `inference` and `training`: one image for
 * both). Source: AWS's own table, `src/sagemaker/image_uri_config/blazingtext.json` in aws/sagemaker-python-sdk
 * (version "1", read at commit 5bf7105edb08ac13a103e119887d292cea0dd1c5), which is what
 * `sagemaker.image_uris.retrieve('blazingtext', region)` reads and what the "Docker Registry Paths and Example Code"
 * pages (https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html) list.
 * The path shape `<ecr_path>/blazingtext:<tag>` is from "Common parameters for built-in algorithms"; the `:1` tag
 * advice from the same page. The isolated partition (us-iso-east-1) is left out: its registry domain differs and
 * Sluice is not deployed there. Regions absent from AWS's table (ap-south-2, eu-central-2, il-central-1, ...) have no
 * BlazingText image.
 */
const BLAZINGTEXT_REGISTRY_ACCOUNTS: Readonly<Record<string, string>> = Object.freeze({
  'af-south-1': '455444449433',
  'ap-east-1': '286214385809',
  'ap-northeast-1': '501404015308',
  'ap-northeast-2': '306986355934',
  'ap-south-1': '991648021394',
  'ap-southeast-1': '475088953585',
  'ap-southeast-2': '544295431143',
  'ca-central-1': '469771592824',
  'cn-north-1': '390948362332',
  'cn-northwest-1': '387376663083',
  'eu-central-1': '813361260812',
  'eu-north-1': '669576153137',
  'eu-south-1': '257386234256',
  'eu-west-1': '685385470294',
  'eu-west-2': '644912444149',
  'eu-west-3': '749696950732',
  'me-south-1': '249704162688',
  'sa-east-1': '855470959533',
  'us-east-1': '811284229777',
  'us-east-2': '825641698319',
  'us-gov-west-1': '226302683700',
  'us-west-1': '632365934929',
  'us-west-2': '433757028032',
});

/** A region with no SageMaker BlazingText image in Sluice's table; the message lists the regions there are. */
export class UnsupportedBlazingTextRegionError extends TerminalStepError {
  public override readonly name = 'UnsupportedBlazingTextRegionError';
}

/** The regions {@link blazingTextImageUri} has an image for, sorted. */
export function blazingTextRegions(): string[] {
  return Object.keys(BLAZINGTEXT_REGISTRY_ACCOUNTS).sort();
}

/**
 * The URI of SageMaker's BlazingText container in `region`: `<account>.dkr.ecr.<region>.amazonaws.com/blazingtext:1`,
 * with the `amazonaws.com.cn` domain in the China regions. The same URI serves training jobs and models.
 * @throws UnsupportedBlazingTextRegionError for a region not in the table
 */
export function blazingTextImageUri(region: string): string {
  const account = Object.hasOwn(BLAZINGTEXT_REGISTRY_ACCOUNTS, region) ? BLAZINGTEXT_REGISTRY_ACCOUNTS[region] : undefined;
  if (account === undefined) {
    throw new UnsupportedBlazingTextRegionError(
      `No SageMaker BlazingText image is known for region "${region}"; supported regions: ${blazingTextRegions().join(', ')}`,
    );
  }
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${domain}/${REPOSITORY}:${BLAZINGTEXT_VERSION}`;
}
