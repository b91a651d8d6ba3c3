import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rollbackAlarmNames as coreRollbackAlarmNames } from '../../../aws/wiring/sagemaker.js';
import { VARIANT_NAME as CORE_VARIANT_NAME } from '../../../aws/adapters/sagemaker-endpoints.js';
import type { GeneratedResource, Stage } from '../../../deploy/hosting.js';
import { MODEL_ROLE, VARIANT_NAME, hostingResources, rollbackAlarmNames } from '../../../deploy/hosting.js';
import { deployedPipelines, stageNames } from '../../../deploy/stage.js';

const FEATURES = 'features:\n  splitKey: [a]\n';
const TRAINING = 'training:\n  algorithm: xgboost\n';
const GATE = 'gate:\n  metric: validation:auc\n  direction: Maximize\n';
const DEPLOYMENT = 'deployment:\n  mode: realtime\n  instanceCount: 2\n';

/** A stage `sluice-qa` over a project whose pipelines/ holds `specs` (folder -> the spec after its name line). */
function stageOver(specs: Record<string, string>): { stage: Stage; root: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sluice-hosting-'));
  for (const [folder, text] of Object.entries(specs)) {
    mkdirSync(path.join(root, 'pipelines', folder), { recursive: true });
    writeFileSync(path.join(root, 'pipelines', folder, 'pipeline.yml'), `name: ${folder}\n${text}`);
  }
  return { root, stage: { service: 'sluice', stage: 'qa', names: stageNames('sluice', 'qa'), pipelines: deployedPipelines(root) } };
}

const ofType = (resources: Record<string, GeneratedResource>, type: string): GeneratedResource[] =>
  Object.values(resources).filter((r) => r.Type === type);

/** The inline policy statements of the model role, as `action -> resources` (intrinsics as their Fn::Sub template). */
function modelRoleGrants(resources: Record<string, GeneratedResource>): Record<string, string[]> {
  const role = resources[MODEL_ROLE];
  if (!role) throw new Error(`no ${MODEL_ROLE}`);
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] } }[];
  const grants: Record<string, string[]> = {};
  for (const statement of policies.flatMap((p) => p.PolicyDocument.Statement)) {
    const targets = (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map((r) =>
      typeof r === 'string' ? r : String((r as { 'Fn::Sub'?: string })['Fn::Sub']),
    );
    for (const action of statement.Action) grants[action] = [...(grants[action] ?? []), ...targets];
  }
  return grants;
}

describe('hostingResources', () => {
  let root: string;

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  describe('a stage with a deployed, a gated, an ungated and an ingest-only pipeline', () => {
    const specs = {
      'deployed': `${FEATURES}${TRAINING}${GATE}${DEPLOYMENT}`,
      'gated': `${FEATURES}${TRAINING}${GATE}`,
      'ungated': `${FEATURES}${TRAINING}`,
      'ingest-only': '',
    };

    it('makes a retained model package group for every pipeline that trains, gate or not, when generated', () => {
      // Prepare
      const over = stageOver(specs);
      root = over.root;

      // Act
      const groups = ofType(hostingResources(over.stage), 'AWS::SageMaker::ModelPackageGroup');

      // Assess
      expect(groups.map((g) => g.Properties.ModelPackageGroupName).sort()).toEqual(['sluice-qa-deployed', 'sluice-qa-gated', 'sluice-qa-ungated']);
      for (const group of groups) expect([group.DeletionPolicy, group.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    });

    it('makes the rollback alarms core names for the deployed pipeline only when generated', () => {
      // Prepare
      const over = stageOver(specs);
      root = over.root;

      // Act
      const alarms = ofType(hostingResources(over.stage), 'AWS::CloudWatch::Alarm');

      // Assess
      expect(alarms.map((a) => a.Properties.AlarmName)).toEqual(coreRollbackAlarmNames('sluice-qa-deployed'));
      for (const alarm of alarms) {
        expect(alarm.Properties.Dimensions).toEqual([
          { Name: 'EndpointName', Value: 'sluice-qa-deployed' },
          { Name: 'VariantName', Value: CORE_VARIANT_NAME },
        ]);
      }
    });

    it('lets models read only models/ and write only the deployed endpoint logs when generated', () => {
      // Prepare
      const over = stageOver(specs);
      root = over.root;
      const group = 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/sagemaker/Endpoints/sluice-qa-deployed';
      const alarm = (name: string): string => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`;

      // Act
      const grants = modelRoleGrants(hostingResources(over.stage));

      // Assess
      expect(grants).toEqual({
        // Batch scoring (issue 12): a transform job runs as its model's role, reading and writing under scoring/.
        's3:GetObject': ['${LakeBucket.Arn}/models/*', '${LakeBucket.Arn}/scoring/*'],
        's3:PutObject': ['${LakeBucket.Arn}/scoring/*'],
        // The bucket itself (Fn::GetAtt, which this helper prints as "undefined"), under an s3:prefix condition on scoring/.
        's3:ListBucket': ['undefined'],
        'logs:CreateLogGroup': [group, `${group}:*`],
        'logs:DescribeLogStreams': [group, `${group}:*`],
        'logs:CreateLogStream': [`${group}:log-stream:*`],
        'logs:PutLogEvents': [`${group}:log-stream:*`],
        'cloudwatch:PutMetricData': ['*'],
        'cloudwatch:DescribeAlarms': coreRollbackAlarmNames('sluice-qa-deployed').map(alarm),
      });
    });
  });

  describe('a stage where no pipeline deploys', () => {
    it('makes no alarm and leaves the model role reading models/ and publishing metrics only when generated', () => {
      // Prepare
      const over = stageOver({ gated: `${FEATURES}${TRAINING}${GATE}` });
      root = over.root;

      // Act
      const resources = hostingResources(over.stage);

      // Assess
      expect(ofType(resources, 'AWS::CloudWatch::Alarm')).toEqual([]);
      expect(Object.keys(modelRoleGrants(resources)).sort()).toEqual(['cloudwatch:PutMetricData', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    });
  });
});

describe('rollbackAlarmNames', () => {
  describe('an endpoint of the stage', () => {
    it('names the alarms exactly as aws/wiring/sagemaker.ts when an update is rolled back on them', () => {
      // Prepare
      const endpoint = 'sluice-dev-churn-v2';

      // Act
      const names = rollbackAlarmNames(endpoint);

      // Assess
      expect(names).toEqual(coreRollbackAlarmNames(endpoint));
      expect(VARIANT_NAME).toBe(CORE_VARIANT_NAME);
    });
  });
});
