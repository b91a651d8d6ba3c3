import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BYTES_SCANNED_CUTOFF, MIN_BYTES_SCANNED_CUTOFF, deployedPipelines, pascal, stageNames } from '../../../deploy/stage.js';

/** A project folder whose pipelines/ holds `specs` (folder -> pipeline.yml text; undefined: a folder without one). */
function makeProject(specs: Record<string, string | undefined>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sluice-stage-'));
  for (const [folder, text] of Object.entries(specs)) {
    mkdirSync(path.join(root, 'pipelines', folder), { recursive: true });
    if (text !== undefined) writeFileSync(path.join(root, 'pipelines', folder, 'pipeline.yml'), text);
  }
  return root;
}

describe('stageNames', () => {
  describe('a service and a stage AWS takes', () => {
    it('derives the database, crawler, workgroup and job names when the stage is dev', () => {
      // Prepare
      const [service, stage] = ['sluice', 'dev'];

      // Act
      const names = stageNames(service, stage);

      // Assess
      expect(names).toEqual({ glueDatabase: 'sluice_dev', crawlerPrefix: 'sluice-dev-', workgroupPrefix: 'sluice-dev-', resourcePrefix: 'sluice-dev-' });
    });

    it('turns dashes into underscores in the database name when the stage has one', () => {
      // Prepare
      const [service, stage] = ['sluice', 'qa-1'];

      // Act
      const names = stageNames(service, stage);

      // Assess
      expect(names.glueDatabase).toBe('sluice_qa_1');
      expect(names.crawlerPrefix).toBe('sluice-qa-1-');
    });
  });

  describe('a stage AWS would refuse', () => {
    it('fails packaging when the stage has uppercase letters', () => {
      // Prepare
      const act = () => stageNames('sluice', 'Prod');

      // Act / Assess
      expect(act).toThrow('lowercase letters, digits and dashes');
    });

    it('fails packaging when the job prefix leaves no room in a tuning job name', () => {
      // Prepare
      const act = () => stageNames('sluice', 'production-eu');

      // Act / Assess
      expect(act).toThrow('SageMaker tuning job names');
    });
  });
});

describe('deployedPipelines', () => {
  let root: string;

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  describe('pipelines with and without a features section', () => {
    it('takes the spec cutoff, the 10 GB default, or none when features are absent', () => {
      // Prepare
      root = makeProject({
        'churn': 'name: churn\nfeatures:\n  splitKey: [a]\n',
        'fraud-v2': 'name: fraud-v2\nfeatures:\n  splitKey: [a]\n  bytesScannedCutoff: 50000000\n',
        'ingest-only': 'name: ingest-only\n',
        'notes': undefined,
      });

      // Act
      const pipelines = deployedPipelines(root);

      // Assess
      expect(pipelines).toEqual([
        { name: 'churn', id: 'Churn', table: 'churn', partitionKeys: ['ingest_date'], features: { bytesScannedCutoff: DEFAULT_BYTES_SCANNED_CUTOFF }, registersModels: false, deploys: false },
        { name: 'fraud-v2', id: 'FraudV2', table: 'fraud_v2', partitionKeys: ['ingest_date'], features: { bytesScannedCutoff: 50_000_000 }, registersModels: false, deploys: false },
        { name: 'ingest-only', id: 'IngestOnly', table: 'ingest_only', partitionKeys: ['ingest_date'], features: undefined, registersModels: false, deploys: false },
      ]);
      expect(DEFAULT_BYTES_SCANNED_CUTOFF).toBe(10_000_000_000);
    });
  });

  describe('pipelines that train, gate and deploy', () => {
    it('registers models when a pipeline trains on features, and deploys only when it also has a deployment section', () => {
      // Prepare
      const features = 'features:\n  splitKey: [a]\n';
      const training = 'training:\n  algorithm: xgboost\n';
      root = makeProject({
        'deployed': `name: deployed\n${features}${training}gate:\n  metric: validation:auc\n  direction: Maximize\ndeployment:\n  mode: serverless\n`,
        'gated': `name: gated\n${features}${training}gate:\n  metric: validation:auc\n  direction: Maximize\n`,
        'no-features': `name: no-features\n${training}deployment:\n  mode: serverless\n`,
        'ungated': `name: ungated\n${features}${training}`,
      });

      // Act
      const plans = Object.fromEntries(deployedPipelines(root).map((p) => [p.name, { registersModels: p.registersModels, deploys: p.deploys }]));

      // Assess
      expect(plans).toEqual({
        'deployed': { registersModels: true, deploys: true },
        'gated': { registersModels: true, deploys: false },
        // Without features a run never trains, so it never reaches EvaluateModel or Deploy.
        'no-features': { registersModels: false, deploys: false },
        // EvaluateModel registers (and rejects) a candidate even without a gate.
        'ungated': { registersModels: true, deploys: false },
      });
    });
  });

  describe('specs the deployment cannot take', () => {
    it('fails packaging when a cutoff is below Athena minimum', () => {
      // Prepare
      root = makeProject({ churn: `name: churn\nfeatures:\n  bytesScannedCutoff: ${MIN_BYTES_SCANNED_CUTOFF - 1}\n` });

      // Act
      const act = () => deployedPipelines(root);

      // Assess
      expect(act).toThrow('at least 10000000');
    });

    it('fails packaging when a spec name differs from its folder', () => {
      // Prepare
      root = makeProject({ churn: 'name: attrition\n' });

      // Act
      const act = () => deployedPipelines(root);

      // Assess
      expect(act).toThrow('must be the folder name "churn"');
    });
  });
});

describe('pascal', () => {
  describe('pipeline names with dashes', () => {
    it('capitalizes each part when the name has several', () => {
      // Prepare
      const name = 'churn-v2-eu';

      // Act
      const id = pascal(name);

      // Assess
      expect(id).toBe('ChurnV2Eu');
    });
  });
});
