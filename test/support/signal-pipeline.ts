import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPipelineSpec } from '../../core/spec/load-spec.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { mulberry32 } from '../../core/support/mulberry32.js';

/**
 * Rows of the `signal` pipeline: an id, a 0/1 label that follows four features closely, and the features. Ids start
 * at `seed × 1,000,000`, so files of different seeds never share one. `shuffled` breaks the label's link to the
 * features (a model trained on it is worse than random's AUC would suggest).
 */
export function signalCsv(rows: number, seed: number, shuffled = false): string {
  const rand = mulberry32(seed);
  const lines = ['id,label,x1,x2,x3,x4'];
  for (let i = 0; i < rows; i += 1) {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    const score = (x[0] ?? 0) + (x[1] ?? 0) * (x[2] ?? 0) * 2 + (rand() - 0.5) * 0.3;
    const label = shuffled ? (rand() < 0.5 ? 1 : 0) : score > 0 ? 1 : 0;
    lines.push(`${seed * 1_000_000 + i},${label},${x.map((v) => v.toFixed(5)).join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The spec sections a test of the `signal` pipeline chooses, as YAML flow mappings. Without a gate, models are
 * registered and never deployed; without a deployment section, a model that passes its gate is approved, not deployed.
 */
export interface SignalPipelineSections {
  training: string;
  gate?: string;
  deployment?: string;
}

/**
 * Writes the `signal` pipeline (its contract, a 25% validation split on `id`, and `sections`) to a temporary folder;
 * the spec's `file` names it, for tests that run the `sluice` command on that folder.
 */
export async function signalPipeline(sections: SignalPipelineSections): Promise<PipelineSpec> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-signal-'));
  await writeFile(
    path.join(dir, 'pipeline.yml'),
    `
name: signal
source: { format: csv }
contract:
  columns:
    - { name: id, type: integer, nullable: false }
    - { name: label, type: integer, allowed: [0, 1], nullable: false }
    - { name: x1, type: double }
    - { name: x2, type: double }
    - { name: x3, type: double }
    - { name: x4, type: double }
features: { splitKey: [id], validationRatio: 0.25 }
training: ${sections.training}
${sections.gate === undefined ? '' : `gate: ${sections.gate}`}
${sections.deployment === undefined ? '' : `deployment: ${sections.deployment}`}
`,
  );
  await writeFile(path.join(dir, 'features.sql'), 'SELECT label, x1, x2, x3, x4 FROM signal');
  return loadPipelineSpec(dir, dir);
}
