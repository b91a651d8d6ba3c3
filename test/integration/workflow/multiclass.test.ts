import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { mulberry32 } from '../../../core/support/mulberry32.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';
import { LocalRegistry } from '../../../local/adapters/local-registry.js';
import { LOCAL_LAKE_BUCKET } from '../../../local/runtime/local-deps.js';
import { predictFile } from '../../../local/serving/predict-file.js';
import { freshLake, lakePath, runOnContent, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

afterAll(() => testServers.closeAll());

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/multiclass');

/** Three Gaussian clusters, the class last in each row (`id,x1,x2,x3,species`). */
function clustersCsv(rows: number, seed: number): string {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const lines = ['id,x1,x2,x3,species'];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    lines.push(`${i},${(c * 1.5 + gauss()).toFixed(4)},${(-c + gauss()).toFixed(4)},${rand().toFixed(4)},${c}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('local workflow: a multi-class model', () => {
  describe('a multi:softprob pipeline', () => {
    it('trains, deploys, smoke-tests and predicts class probabilities when the first file arrives', async () => {
      // Prepare
      const lake = await freshLake();
      const spec = loadPipelineSpec(FIXTURE, FIXTURE);
      const csv = clustersCsv(600, 3);

      // Act
      const summary = await runOnContent(spec, lake, 'clusters.csv', csv);

      // Assess: the run deploys and the smoke test reads one line of three probabilities per row
      expect(summary.error).toBeUndefined();
      expect(summary.model).toMatchObject({ version: 1, promoted: true, decision: 'promoted' });
      expect(summary.outputs.features?.split).toEqual({ trainRows: 480, validationRows: 120, validationShare: 0.2, askedShare: 0.2 });
      const answer = await fetch(`${summary.model?.endpoint ?? ''}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: '0.1,0.2,0.3\n3,-2,0.5\n' });
      const lines = (await answer.text()).trimEnd().split('\n').map((line) => line.split(',').map(Number));
      expect(lines).toHaveLength(2);
      for (const probabilities of lines) {
        expect(probabilities).toHaveLength(3);
        expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }

      // Act 2: predict the user's own rows, label last, by header name
      const production = await new LocalRegistry(new FolderObjectStore(lake), LOCAL_LAKE_BUCKET).production('species');
      const rowsFile = path.join(lake, 'rows.csv');
      await writeFile(rowsFile, csv.split('\n').slice(0, 4).map((line) => line.split(',').slice(1).join(',')).join('\n'));
      const predicted = await predictFile({
        modelArtifact: lakePath(lake, (production?.modelArtifact ?? '').replace(`s3://${LOCAL_LAKE_BUCKET}/`, '')),
        file: rowsFile,
        labelColumn: true,
        featureNames: (production?.lineage['features'] ?? '').split(','),
        labelName: production?.lineage['label'] ?? '',
      });

      // Assess 2
      expect(production?.lineage).toMatchObject({ label: 'label', features: 'x1,x2,x3' });
      expect(predicted.valuesPerRow).toBe(3);
      expect(predicted.nRows).toBe(3);
    });
  });
});
