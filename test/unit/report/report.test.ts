import { readFileSync } from 'node:fs';
import path from 'node:path';
import { binaryCurves, featureImportance, insightsKeyOf, MAX_CURVE_POINTS } from '../../../core/report/model-insights.js';
import { layoutWorkflow, renderWorkflowSvg } from '../../../core/report/workflow-graph.js';
import type { WorkflowDefinition } from '../../../core/report/workflow-graph.js';
import { escapeHtml, formatNumber, scriptJson } from '../../../core/report/html.js';

const asl = JSON.parse(readFileSync(path.join(__dirname, '../../../state-machines/sluice.asl.json'), 'utf8')) as WorkflowDefinition;

describe('model insights', () => {
  describe('binary curves', () => {
    it('runs from (0,0) to (1,1) through each distinct score when the scores separate the classes perfectly', () => {
      // Prepare
      const labels = [0, 0, 1, 1];
      const scores = [0.1, 0.2, 0.8, 0.9];

      // Act
      const curves = binaryCurves(labels, scores);

      // Assess
      expect(curves?.roc.x).toEqual([0, 0, 0, 0.5, 1]);
      expect(curves?.roc.y).toEqual([0, 0.5, 1, 1, 1]);
      expect(curves?.precisionRecall.y).toEqual([1, 1, 1, 2 / 3, 0.5]);
      expect(curves?.roc.threshold[0]).toBe(1);
    });

    it('moves tied scores together and thins to the point limit when there are many rows', () => {
      // Prepare
      const labels = Array.from({ length: 5000 }, (_, i) => i % 2);
      const scores = labels.map((l, i) => (l === 1 ? 0.6 : 0.4) + (i % 997) / 10_000);

      // Act
      const curves = binaryCurves(labels, scores);

      // Assess
      expect(curves?.roc.x).toHaveLength(MAX_CURVE_POINTS);
      expect(curves?.roc.x.at(-1)).toBe(1);
      expect(curves?.roc.y.at(-1)).toBe(1);
    });

    it('is undefined when one class is absent', () => {
      // Act + Assess
      expect(binaryCurves([1, 1], [0.2, 0.9])).toBeUndefined();
    });
  });

  describe('feature importance', () => {
    it('names XGBoost\'s f<i> features from the feature list and sorts them by gain', () => {
      // Act
      const rows = featureImportance({ features: ['f0', 'f2'], scores: [1.5, 4] }, { features: ['f2', 'f0'], scores: [7, 3] }, ['tenure', 'age', 'charges']);

      // Assess
      expect(rows).toEqual([
        { feature: 'charges', gain: 4, weight: 7 },
        { feature: 'tenure', gain: 1.5, weight: 3 },
      ]);
    });
  });

  describe('where insights live', () => {
    it('puts insights.json beside model.tar.gz', () => {
      expect(insightsKeyOf('models/churn/job-001/output/model.tar.gz')).toBe('models/churn/job-001/output/insights.json');
    });
  });
});

describe('workflow graph', () => {
  describe('the Sluice definition', () => {
    it('puts NormalizeInput first and Succeeded last, and a poll loop\'s Choice below its Wait', () => {
      // Act
      const graph = layoutWorkflow(asl);

      // Assess
      const layer = (name: string) => graph.nodes.find((n) => n.name === name)?.layer ?? -1;
      expect(layer('NormalizeInput')).toBe(0);
      expect(Math.max(...graph.nodes.map((n) => n.layer))).toBe(layer('Succeeded'));
      expect(layer('CrawlFinished')).toBeGreaterThan(layer('WaitForCrawler'));
      expect(graph.nodes.map((n) => n.name).sort()).toEqual(Object.keys(asl.States).sort());
    });

    it('colours a state by its outcome and sums a poll loop\'s rounds when the step records name it', () => {
      // Act
      const svg = renderWorkflowSvg(asl, [
        { name: 'NormalizeInput', status: 'SUCCEEDED', durationMs: 20, retries: 0 },
        { name: 'GetCrawlerState', status: 'SUCCEEDED', durationMs: 300, retries: 0 },
        { name: 'GetCrawlerState', status: 'SUCCEEDED', durationMs: 900, retries: 0 },
        { name: 'StartFeatureQuery', status: 'FAILED', durationMs: 5, retries: 2 },
      ]);

      // Assess
      expect(svg).toContain('data-state="GetCrawlerState" data-status="SUCCEEDED"');
      expect(svg).toContain('1.2 s ×2');
      expect(svg).toContain('data-state="StartFeatureQuery" data-status="FAILED"');
      expect(svg).toContain('data-state="Deploy" data-status="none"');
    });
  });
});

describe('report html', () => {
  describe('escaping', () => {
    it('keeps data from closing a script element or an attribute', () => {
      expect(scriptJson({ a: '</script><b>' })).not.toContain('</script');
      expect(escapeHtml('"<a>\'&')).toBe('&quot;&lt;a&gt;&#39;&amp;');
    });
  });

  describe('numbers', () => {
    it('writes integers with en-US grouping, as toLocaleString does, when given integers of any size and sign', () => {
      // Prepare
      const integers = [0, -0, 7, -42, 999, 1000, -1000, 1234, -98765, 1234567, 123456789012345, 2 ** 53 - 1, -(2 ** 31), 1e20, 1e21, -3e22];

      // Act
      const written = integers.map(formatNumber);

      // Assess
      expect(written).toEqual(integers.map((n) => n.toLocaleString('en-US')));
      expect(formatNumber(1234567)).toBe('1,234,567');
    });

    it('keeps 4 significant decimals and leaves non-numbers as text when given fractions and other values', () => {
      // Act
      const written = [0.123456, 1234.5678, 2.5, Number.NaN, undefined, null, 'x'].map(formatNumber);

      // Assess
      expect(written).toEqual(['0.1235', '1234.6', '2.5', 'NaN', '', '', 'x']);
    });
  });
});
