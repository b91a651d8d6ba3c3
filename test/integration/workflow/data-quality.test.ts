import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConstraintViolations, Statistics } from '../../../core/quality/model-monitor-formats.js';
import { parsePipelineSpec } from '../../../core/spec/load-spec.js';
import { formatSummary } from '../../../local/cli/format.js';
import { freshLake, lakePath, runOnContent } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/**
 * The churn pipeline as shipped (its quality section: drift blocks promotion, new categories warn; the senior_citizen
 * facet), trained once without tuning and deploying nothing, so that two runs take seconds.
 */
async function churnSpec() {
  const file = path.join(REPO_ROOT, 'pipelines/churn/pipeline.yml');
  const text = (await readFile(file, 'utf8'))
    .replace(/tuning:\n {2}enabled: true/, 'tuning:\n  enabled: false')
    .replace(/num_round: 300/, 'num_round: 40')
    .replace(/\ndeployment:[\s\S]*?\n\n/, '\n\n');
  return parsePipelineSpec(text, file);
}

/** The sample with monthly_charges doubled and "Mailed check" renamed "Crypto wallet" (a value the baseline never saw). */
function driftedCsv(csv: string): string {
  const [header = '', ...rows] = csv.trimEnd().split('\n');
  const names = header.split(',').map((n) => n.replaceAll('"', ''));
  const charges = names.indexOf('monthly_charges');
  const method = names.indexOf('payment_method');
  const changed = rows.map((row) => {
    const fields = row.split(',');
    if (fields.length !== names.length) throw new Error(`unexpected comma in a field: ${row}`);
    fields[charges] = String(Number(fields[charges]) * 2);
    if (fields[method] === '"Mailed check"') fields[method] = '"Crypto wallet"';
    return fields.join(',');
  });
  return `${[header, ...changed].join('\n')}\n`;
}

describe('local workflow: data quality', () => {
  describe('the churn pipeline, a second file with doubled charges and a new payment method', () => {
    it('reports drift and the new category, blocks promotion, and records bias metrics with each version when run twice', async () => {
      // Prepare
      const lake = await freshLake();
      const spec = await churnSpec();
      const sample = await readFile(path.join(REPO_ROOT, 'pipelines/churn/data/telco_churn.csv'), 'utf8');
      const read = async <T>(key: string) => JSON.parse(await readFile(lakePath(lake, key), 'utf8')) as T;

      // Act 1: the first file trains the first model, whose training profile becomes the baseline
      const first = await runOnContent(spec, lake, 'telco_churn.csv', sample);

      // Assess 1
      expect(first.error).toBeUndefined();
      expect(first.model).toMatchObject({ version: 1, decision: 'approved, not deployed' });
      const baseline = await read<Statistics>('profiles/churn/baseline/statistics.json');
      expect(baseline.dataset.item_count).toBe(7043);
      const constraints = await read<{ features: { name: string; string_constraints?: { domains: string[] } }[] }>('profiles/churn/baseline/constraints.json');
      expect(constraints.features.find((f) => f.name === 'payment_method')?.string_constraints?.domains).toEqual([
        'Bank transfer (automatic)',
        'Credit card (automatic)',
        'Electronic check',
        'Mailed check',
      ]);
      const v1 = await read<{ metrics: Record<string, number>; lineage: Record<string, string> }>('registry/churn/v000001.json');
      expect(Object.keys(v1.metrics)).toEqual(expect.arrayContaining(['bias:senior_citizen:CI', 'bias:senior_citizen:DPL', 'bias:senior_citizen:KL', 'bias:senior_citizen:JS', 'bias:senior_citizen:LP', 'bias:senior_citizen:TVD', 'bias:senior_citizen:KS', 'bias:senior_citizen:CDDL']));
      // 1,142 of 7,043 customers are seniors: CI = (5901 − 1142) / 7043
      expect(v1.metrics['bias:senior_citizen:CI']).toBeCloseTo((7043 - 2 * 1142) / 7043, 6);
      expect(v1.lineage.trainingProfile).toMatch(/profiles\/churn\/models\/.+\/statistics\.json$/);

      // Act 2
      const second = await runOnContent(spec, lake, 'telco_churn_drifted.csv', driftedCsv(sample));

      // Assess 2: the violations, in Model Monitor's format, and their effects: drift blocks, the new category warns
      expect(second.status).toBe('SUCCEEDED');
      expect(second.model).toMatchObject({ version: 2, decision: 'not promoted' });
      expect(second.model?.reasons.join(' ')).toMatch(/blocked by data quality: baseline_drift_check on [a-z_, ]*monthly_charges/);
      const manifest = await read<{ quality: { effect: string; findings: { kind: string; features: string[]; effect: string; violations: string }[] } }>(`runs/churn/${second.runId}.json`);
      expect(manifest.quality.effect).toBe('block');
      expect(manifest.quality.findings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'baseline_drift_check', features: expect.arrayContaining(['monthly_charges']) as unknown, effect: 'block' }),
          expect.objectContaining({ kind: 'categorical_values_check', features: ['payment_method'], effect: 'warn' }),
        ]),
      );
      // The run summary says it too, as `sluice run` prints it.
      expect(second.quality).toEqual(manifest.quality);
      const printed = formatSummary(second);
      expect(printed).toMatch(/ {2}quality: {4}\d+ violation kind\(s\), promotion blocked/);
      expect(printed).toMatch(/categorical_values_check on payment_method: warn \(telco_churn_drifted\.csv; /);
      const violationsKey = manifest.quality.findings[0]?.violations ?? '';
      const { violations } = await read<ConstraintViolations>(violationsKey);
      expect(violations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ feature_name: 'monthly_charges', constraint_check_type: 'baseline_drift_check' }),
          expect.objectContaining({ feature_name: 'payment_method', constraint_check_type: 'categorical_values_check' }),
        ]),
      );
      // Columns that did not change did not drift
      expect(violations.filter((v) => v.constraint_check_type === 'baseline_drift_check').map((v) => v.feature_name).sort()).toEqual(['monthly_charges', 'payment_method']);
      const v2 = await read<{ metrics: Record<string, number>; status: string }>('registry/churn/v000002.json');
      expect(v2.status).toBe('Rejected');
      expect(v2.metrics['bias:senior_citizen:CI']).toBeCloseTo((7043 - 2 * 1142) / 7043, 6);
      // The baseline is still the production model's training data
      expect((await read<Statistics>('profiles/churn/baseline/statistics.json')).dataset.item_count).toBe(7043);
    });
  });
});
