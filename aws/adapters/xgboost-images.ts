import { TerminalStepError } from '../../core/errors.js';

/**
 * The SageMaker XGBoost container version Sluice trains with: XGBoost 1.7.4, the version the local runtime loads, so
 * a model trained locally and one trained on SageMaker come from the same library.
 */
export const XGBOOST_VERSION = '1.7-1';

/** The container versions {@link xgboostImageUri} knows. Only the one the local runtime matches. */
export const SUPPORTED_XGBOOST_VERSIONS: readonly string[] = [XGBOOST_VERSION];

/** The ECR repository SageMaker publishes the XGBoost algorithm containers in, from 0.90-1 on. */
const REPOSITORY = 'sagemaker-xgboost';

/**
 * The account that hosts the `sagemaker-xgboost` repository in each region, for version 1.7-1 (the training and the
 * inference images are the same image, in the same account).
 *
 * Source: AWS's own table, `src/sagemaker/image_uri_config/xgboost.json` in aws/sagemaker-python-sdk (scope
 * `training`, version `1.7-1`, read at commit 02ed3cbfd8f1c519f8a829b545bb78a47a538546), which is what
 * `sagemaker.image_uris.retrieve('xgboost', region, '1.7-1')` reads and what the "Docker Registry Paths and Example
 * Code" pages (https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html)
 * point to. The isolated partitions (us-iso*, us-isob*, us-isof*) are left out: their registry domains differ, and
 * Sluice is not deployed there.
 */
const XGBOOST_REGISTRY_ACCOUNTS: Readonly<Record<string, string>> = Object.freeze({
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'ca-west-1': '190319476487',
  'cn-north-1': '450853457545',
  'cn-northwest-1': '451049120500',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-gov-east-1': '237065988967',
  'us-gov-west-1': '414596584902',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
});

/** A region with no SageMaker XGBoost image in Sluice's table; the message lists the regions there are. */
export class UnsupportedRegionError extends TerminalStepError {
  public override readonly name = 'UnsupportedRegionError';
}

/** An XGBoost container version other than the one Sluice supports. */
export class UnsupportedXgboostVersionError extends TerminalStepError {
  public override readonly name = 'UnsupportedXgboostVersionError';
}

/** The regions {@link xgboostImageUri} has an image for, sorted. */
export function xgboostRegions(): string[] {
  return Object.keys(XGBOOST_REGISTRY_ACCOUNTS).sort();
}

/**
 * The URI of SageMaker's built-in XGBoost container in `region`:
 * `<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:1.7-1`, with the `amazonaws.com.cn` domain in the
 * China regions (GovCloud keeps `amazonaws.com`). The same URI serves training jobs and models.
 * Throws UnsupportedRegionError for a region not in the table and UnsupportedXgboostVersionError for another version.
 */
export function xgboostImageUri(region: string, version: string = XGBOOST_VERSION): string {
  if (!SUPPORTED_XGBOOST_VERSIONS.includes(version)) {
    throw new UnsupportedXgboostVersionError(
      `SageMaker XGBoost version "${version}" is not supported; Sluice trains with ${SUPPORTED_XGBOOST_VERSIONS.join(', ')} (the XGBoost the local runtime runs)`,
    );
  }
  const account = Object.hasOwn(XGBOOST_REGISTRY_ACCOUNTS, region) ? XGBOOST_REGISTRY_ACCOUNTS[region] : undefined;
  if (account === undefined) {
    throw new UnsupportedRegionError(
      `No SageMaker XGBoost ${version} image is known for region "${region}"; supported regions: ${xgboostRegions().join(', ')}`,
    );
  }
  return `${account}.dkr.ecr.${region}.${ecrDomain(region)}/${REPOSITORY}:${version}`;
}

/** The ECR registry domain of a region's partition. */
function ecrDomain(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}
