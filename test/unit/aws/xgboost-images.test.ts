import {
  UnsupportedRegionError,
  UnsupportedXgboostVersionError,
  XGBOOST_VERSION,
  xgboostImageUri,
  xgboostRegions,
} from '../../../aws/adapters/xgboost-images.js';

// Expected values copied from AWS's published registry table: aws/sagemaker-python-sdk
// src/sagemaker/image_uri_config/xgboost.json, scope "training", version "1.7-1" (commit
// 02ed3cbfd8f1c519f8a829b545bb78a47a538546); the China domain from the SageMaker ECR paths page for cn-north-1
// (https://docs.aws.amazon.com/zh_cn/sagemaker/latest/dg-ecr-paths/ecr-cn-north-1.html, "….dkr.ecr.cn-north-1.amazonaws.com.cn/…").
const PUBLISHED: [string, string][] = [
  ['us-east-1', '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1'],
  ['us-west-2', '246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1'],
  ['eu-west-1', '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1'],
  ['eu-central-1', '492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1'],
  ['ap-southeast-2', '783357654285.dkr.ecr.ap-southeast-2.amazonaws.com/sagemaker-xgboost:1.7-1'],
  ['sa-east-1', '737474898029.dkr.ecr.sa-east-1.amazonaws.com/sagemaker-xgboost:1.7-1'],
  ['cn-north-1', '450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1'],
  ['cn-northwest-1', '451049120500.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1'],
  ['us-gov-west-1', '414596584902.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-xgboost:1.7-1'],
];

describe('xgboostImageUri', () => {
  describe('a region in the published table', () => {
    it.each(PUBLISHED)('returns the published image URI when the region is %s', (region, uri) => {
      // Act / Assess
      expect(xgboostImageUri(region)).toBe(uri);
      expect(xgboostImageUri(region, '1.7-1')).toBe(uri);
    });

    it('returns a URI of the documented shape when called for every region it supports', () => {
      // Act
      const uris = xgboostRegions().map((region) => [region, xgboostImageUri(region)] as const);

      // Assess
      expect(uris.length).toBeGreaterThanOrEqual(30);
      for (const [region, uri] of uris) {
        const domain = region.startsWith('cn-') ? 'amazonaws\\.com\\.cn' : 'amazonaws\\.com';
        expect(uri).toMatch(new RegExp(`^\\d{12}\\.dkr\\.ecr\\.${region}\\.${domain}/sagemaker-xgboost:1\\.7-1$`));
      }
    });

    it('pins the container version the local runtime matches when no version is given', () => {
      // Act / Assess
      expect(XGBOOST_VERSION).toBe('1.7-1');
    });
  });

  describe('a region or version it does not know', () => {
    it.each([['mars-north-1'], ['us-iso-east-1'], [''], ['toString']])(
      'throws UnsupportedRegionError listing the supported regions when the region is "%s"',
      (region) => {
        // Act
        const error: unknown = (() => {
          try {
            return xgboostImageUri(region);
          } catch (e: unknown) {
            return e;
          }
        })();

        // Assess
        expect(error).toBeInstanceOf(UnsupportedRegionError);
        expect(error).toMatchObject({ name: 'UnsupportedRegionError', retryable: false });
        expect((error as Error).message).toContain(`region "${region}"`);
        expect((error as Error).message).toContain('us-east-1, us-east-2, us-gov-east-1, us-gov-west-1, us-west-1, us-west-2');
      },
    );

    it('throws UnsupportedXgboostVersionError when asked for another container version', () => {
      // Act / Assess
      expect(() => xgboostImageUri('us-east-1', '1.5-1')).toThrow(UnsupportedXgboostVersionError);
      expect(() => xgboostImageUri('us-east-1', '1.5-1')).toThrow('SageMaker XGBoost version "1.5-1" is not supported; Sluice trains with 1.7-1');
    });
  });
});
