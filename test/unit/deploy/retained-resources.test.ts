import RetainedResourcesPlugin, { RetainedResourceError, adoptRetained, retainedMode } from '../../../deploy/retained-resources.js';

const NAME = 'sluice-dev-lake-${AWS::AccountId}-${AWS::Region}';
const ARN = `arn:\${AWS::Partition}:s3:::${NAME}`;

/** A compiled template in small: the retained bucket and group, and resources that refer to the bucket every way. */
function compiled(): { Resources: Record<string, { Type: string; DeletionPolicy?: string; DependsOn?: string | string[]; Properties?: Record<string, unknown> }>; Outputs: Record<string, unknown> } {
  return {
    Resources: {
      LakeBucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', Properties: { BucketName: { 'Fn::Sub': NAME } } },
      ModelPackageGroupChurn: { Type: 'AWS::SageMaker::ModelPackageGroup', DeletionPolicy: 'Retain', Properties: { ModelPackageGroupName: 'sluice-dev-churn' } },
      LakeBucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        DependsOn: ['LakeBucket', 'Other'],
        Properties: { Bucket: { Ref: 'LakeBucket' }, Resource: [{ 'Fn::GetAtt': ['LakeBucket', 'Arn'] }, { 'Fn::Sub': '${LakeBucket.Arn}/*' }] },
      },
      Fn: { Type: 'AWS::Lambda::Function', DependsOn: 'LakeBucket', Properties: { Environment: { Variables: { LAKE_BUCKET: { Ref: 'LakeBucket' } } } } },
      Other: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Sub': ['${Bucket}-q', { Bucket: { Ref: 'LakeBucket' } }] } } },
    },
    Outputs: { LakeBucketName: { Value: { Ref: 'LakeBucket' } } },
  };
}

describe('adoptRetained', () => {
  describe('a template that declares the retained bucket and group', () => {
    it('drops them and points every reference at the bucket name and ARN when adopting', () => {
      // Prepare
      const template = compiled();

      // Act
      const adopted = adoptRetained(template);

      // Assess
      expect(Object.keys(adopted.Resources).sort()).toEqual(['Fn', 'LakeBucketPolicy', 'Other']);
      expect(adopted.Resources.LakeBucketPolicy).toEqual({
        Type: 'AWS::S3::BucketPolicy',
        DependsOn: ['Other'],
        Properties: { Bucket: { 'Fn::Sub': NAME }, Resource: [{ 'Fn::Sub': ARN }, { 'Fn::Sub': `${ARN}/*` }] },
      });
      expect(adopted.Resources.Fn).toEqual({ Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { LAKE_BUCKET: { 'Fn::Sub': NAME } } } } });
      expect(adopted.Resources.Other?.Properties).toEqual({ QueueName: { 'Fn::Sub': ['${Bucket}-q', { Bucket: { 'Fn::Sub': NAME } }] } });
      expect(adopted.Outputs).toEqual({ LakeBucketName: { Value: { 'Fn::Sub': NAME } } });
    });
  });

  describe('a reference it cannot turn into a name', () => {
    it('fails naming the resource when an attribute other than Arn is used', () => {
      // Prepare
      const template = compiled();
      template.Resources.Other = { Type: 'AWS::SQS::Queue', Properties: { Domain: { 'Fn::GetAtt': ['LakeBucket', 'RegionalDomainName'] } } };

      // Act
      const act = (): unknown => adoptRetained(template);

      // Assess
      expect(act).toThrow(RetainedResourceError);
      expect(act).toThrow('retained=adopt: the template still refers to LakeBucket, which it no longer declares');
    });
  });
});

describe('RetainedResourcesPlugin', () => {
  describe('the retained parameter', () => {
    it('leaves the template as compiled when the mode is create or absent', async () => {
      // Prepare
      const template = compiled();
      const serverless = { service: { custom: {}, provider: { compiledCloudFormationTemplate: template } } };

      // Act
      await new RetainedResourcesPlugin(serverless).hooks['before:aws:package:finalize:saveServiceState']();

      // Assess
      expect(serverless.service.provider.compiledCloudFormationTemplate).toBe(template);
      expect(retainedMode('create')).toBe('create');
      expect(retainedMode(undefined)).toBe('create');
    });

    it('rewrites the compiled template when the mode is adopt', async () => {
      // Prepare
      const serverless = { service: { custom: { retained: 'adopt' }, provider: { compiledCloudFormationTemplate: compiled() } } };

      // Act
      await new RetainedResourcesPlugin(serverless).hooks['before:aws:package:finalize:saveServiceState']();

      // Assess
      expect(Object.keys(serverless.service.provider.compiledCloudFormationTemplate.Resources).sort()).toEqual(['Fn', 'LakeBucketPolicy', 'Other']);
    });

    it('fails packaging naming the values it takes when the mode is unknown', () => {
      // Prepare / Act
      const act = (): unknown => retainedMode('import');

      // Assess
      expect(act).toThrow('--param="retained=import": expected one of create, adopt');
    });
  });
});
