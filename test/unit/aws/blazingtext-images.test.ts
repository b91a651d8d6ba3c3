import { UnsupportedBlazingTextRegionError, blazingTextImageUri, blazingTextRegions } from '../../../aws/adapters/blazingtext-images.js';

// Expected values copied from AWS's published registry table: aws/sagemaker-python-sdk
// src/sagemaker/image_uri_config/blazingtext.json, version "1" (commit 5bf7105edb08ac13a103e119887d292cea0dd1c5).
const PUBLISHED: [string, string][] = [
  ['us-east-1', '811284229777.dkr.ecr.us-east-1.amazonaws.com/blazingtext:1'],
  ['us-west-2', '433757028032.dkr.ecr.us-west-2.amazonaws.com/blazingtext:1'],
  ['eu-west-1', '685385470294.dkr.ecr.eu-west-1.amazonaws.com/blazingtext:1'],
  ['ap-southeast-2', '544295431143.dkr.ecr.ap-southeast-2.amazonaws.com/blazingtext:1'],
  ['cn-north-1', '390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/blazingtext:1'],
  ['us-gov-west-1', '226302683700.dkr.ecr.us-gov-west-1.amazonaws.com/blazingtext:1'],
];

describe('blazingTextImageUri', () => {
  describe('a region in the published table', () => {
    it.each(PUBLISHED)('returns the published image URI when the region is %s', (region, uri) => {
      // Act / Assess
      expect(blazingTextImageUri(region)).toBe(uri);
    });

    it('returns a URI of the documented shape for every region it supports', () => {
      // Act
      const regions = blazingTextRegions();

      // Assess
      expect(regions).toHaveLength(23);
      for (const region of regions) {
        const domain = region.startsWith('cn-') ? 'amazonaws\\.com\\.cn' : 'amazonaws\\.com';
        expect(blazingTextImageUri(region)).toMatch(new RegExp(`^\\d{12}\\.dkr\\.ecr\\.${region}\\.${domain}/blazingtext:1$`));
      }
    });
  });

  describe('a region without a BlazingText image', () => {
    it.each([['il-central-1'], ['us-iso-east-1'], [''], ['toString']])('throws UnsupportedBlazingTextRegionError when the region is "%s"', (region) => {
      // Act / Assess
      expect(() => blazingTextImageUri(region)).toThrow(UnsupportedBlazingTextRegionError);
      expect(() => blazingTextImageUri(region)).toThrow(/supported regions: af-south-1/);
    });
  });
});
