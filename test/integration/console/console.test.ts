import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseDocument } from 'yaml';
import { parsePipelineSpec } from '../../../core/spec/load-spec.js';
import type { PipelineSpec } from '../../../core/spec/load-spec.js';
import { startConsole } from '../../../local/console/console-server.js';
import type { ConsoleServer } from '../../../local/console/console-server.js';
import { coalescedStepJournal } from '../../../local/runtime/run-journal.js';
import type { RunSummary } from '../../../local/runtime/run-local.js';
import { freshLake, lakePath, runOnContent, testServers } from '../../support/local-run.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';
import { smallReviewsSpec } from '../../support/reviews-spec.js';

/** Debian's Chromium (scripts/install-system-deps.sh installs it; CI runs it). */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // Skipped only where the browser is absent: CI installs it, so there the test runs.
  process.stderr.write(`console browser test SKIPPED: ${CHROMIUM} is absent (apt-get install chromium, or bash scripts/install-system-deps.sh)\n`);
}
const describeInBrowser = haveChromium ? describe : describe.skip;

/**
 * Where the screenshots go, kept after the run for a person to look at (gitignored). Not under tmpdir(): the test run's
 * temporary folder is removed at its end (test/support/temp-dir-teardown.js).
 */
const SHOTS = path.join(REPO_ROOT, 'test', 'output', 'console');

/** pipelines/churn, with a 3-trial tuning job of short trainings: tuning plots without the 8-trial wait. */
function smallTunedChurn(): PipelineSpec {
  const file = path.join(REPO_ROOT, 'pipelines', 'churn', 'pipeline.yml');
  const document = parseDocument(readFileSync(file, 'utf8'));
  document.setIn(['tuning', 'maxJobs'], 3);
  document.setIn(['training', 'hyperparameters', 'num_round'], 40);
  return parsePipelineSpec(String(document), file);
}


async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Data points of the Chart.js chart drawn in the canvas whose label starts with `title`, or -1 when there is none. */
async function chartPoints(page: Page, title: string): Promise<number> {
  // Runs in the page (the test's own TypeScript has no DOM types): Chart.js's registry of drawn charts.
  const script = `(() => {
    const canvas = [...document.querySelectorAll('canvas')].find((c) => (c.getAttribute('aria-label') || '').startsWith(${JSON.stringify(title)}));
    const chart = canvas && window.Chart ? window.Chart.getChart(canvas) : undefined;
    return chart ? chart.data.datasets[0].data.length : -1;
  })()`;
  return page.evaluate<number>(script);
}

describeInBrowser('sluice console', () => {
  let lake: string;
  let churn: RunSummary;
  let reviews: RunSummary;
  let app: ConsoleServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    lake = await freshLake();
    const work = await mkdtemp(path.join(tmpdir(), 'sluice-console-spec-'));
    // Two rows the contract rejects (tenure above its maximum, a label outside its allowed values): a quarantine sample.
    const telco = await readFile(path.join(REPO_ROOT, 'pipelines/churn/data/telco_churn.csv'), 'utf8');
    const bad = '"No",1,0,1,0,500,0,"No phone service","DSL","No","Yes","No","No","No","No","Month-to-month",1,"Electronic check",29.85,29.85\n"Maybe",1,0,1,0,3,0,"No phone service","DSL","No","Yes","No","No","No","No","Month-to-month",1,"Electronic check",29.85,29.85\n';
    churn = await runOnContent(smallTunedChurn(), lake, 'telco_churn.csv', telco + bad);
    reviews = await runOnContent(await smallReviewsSpec(work), lake, 'reviews.csv', await readFile(path.join(REPO_ROOT, 'pipelines/reviews/data/fine_foods_reviews_train.csv')));
    app = await startConsole({ lakeRoot: lake, port: 0, projectRoot: REPO_ROOT, pollMs: 200 });
    const { chromium } = await import('playwright-core');
    // The flags the machine notes give for headless Chromium as root on a closed network.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await mkdir(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await testServers.closeAll();
  });

  describe('the runs page', () => {
    it('lists both pipelines and each run with its status, rows, model version and gate when the lake holds churn and reviews runs', async () => {
      // Prepare
      expect(churn.status).toBe('SUCCEEDED');
      expect(reviews.status).toBe('SUCCEEDED');

      // Act
      await page.goto(`${app.url}/`);
      const shot = await screenshot(page, 'runs');

      // Assess
      const pipelines = await page.locator('table.pipelines tbody tr').allInnerTexts();
      expect(pipelines.map((r) => r.split('\t')[0])).toEqual(['churn', 'reviews']);
      const churnRow = await page.locator('table.runs tbody tr', { hasText: churn.runId }).innerText();
      expect(churnRow).toMatch(/SUCCEEDED/);
      expect(churnRow).toMatch(/7,045\s+7,043\s+2/);
      expect(churnRow).toMatch(/v1\s+promoted/);
      expect(await page.locator('table.runs tbody tr', { hasText: reviews.runId }).innerText()).toMatch(/SUCCEEDED/);
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
    });

    it('shows only the chosen pipeline\'s runs when the pipeline filter is applied', async () => {
      // Prepare
      await page.goto(`${app.url}/`);

      // Act
      await page.selectOption('select[name=pipeline]', 'reviews');
      await Promise.all([page.waitForURL(/pipeline=reviews/), page.click('form.filters button')]);

      // Assess
      const runs = await page.locator('table.runs tbody tr').allInnerTexts();
      expect(runs).toHaveLength(1);
      expect(runs[0]).toContain(reviews.runId);
    });

    it('shows a run that starts after the page loaded, running in its current state', async () => {
      // Prepare
      await page.goto(`${app.url}/`);
      const runId = 'churn-20991231T000000Z-abcdef';

      // Act: what the local runner's journal holds while a run is in ValidateAndPartition
      const journal = coalescedStepJournal(lake, 'churn', runId, new Date());
      journal.record({ name: 'ValidateAndPartition', status: 'RUNNING', durationMs: 0, retries: 0 });
      journal.flush();
      await page.waitForSelector(`table.runs tr:has-text("${runId}")`);

      // Assess
      expect(await page.locator('table.runs tbody tr', { hasText: runId }).innerText()).toMatch(/RUNNING\s+ValidateAndPartition/);
    });
  });

  describe('a run page', () => {
    it('draws the workflow graph with each state\'s outcome, the quarantine sample with reasons and the feature sets\' shape when the run succeeded', async () => {
      // Act
      await page.goto(`${app.url}/runs/churn/${churn.runId}`);
      const shot = await screenshot(page, 'run');

      // Assess
      expect(await page.locator('svg.workflow g.state[data-state="EvaluateModel"]').getAttribute('data-status')).toBe('SUCCEEDED');
      expect(await page.locator('svg.workflow g.state[data-state="StartTraining"]').getAttribute('data-status')).toBe('none');
      expect(await page.locator('svg.workflow g.state[data-state="StartTuning"]').getAttribute('data-status')).toBe('SUCCEEDED');
      const quarantine = await page.locator('table.quarantine').innerText();
      expect(quarantine).toMatch(/tenure/);
      expect(quarantine).toContain('Maybe');
      const features = await page.locator('h2:has-text("Feature sets") + table').innerText();
      expect(features).toMatch(/train\s+[\d,]+\s+26/);
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
    });
  });

  describe('a model page', () => {
    it('plots ROC and precision-recall curves, the confusion matrix, feature importance, tuning trials and versions when the model is a tuned classifier', async () => {
      // Act
      await page.goto(`${app.url}/models/churn`);
      const shot = await screenshot(page, 'model-churn');

      // Assess
      expect(await chartPoints(page, 'ROC curve')).toBeGreaterThan(20);
      expect(await chartPoints(page, 'Precision-recall curve')).toBeGreaterThan(20);
      expect(await chartPoints(page, 'Feature importance')).toBeGreaterThan(5);
      expect(await chartPoints(page, 'Tuning')).toBe(3);
      expect(await chartPoints(page, 'Versions over time')).toBe(1);
      expect(await page.locator('table.cm td').count()).toBe(4);
      expect(await page.locator('table.trials tbody tr').count()).toBe(3);
      expect(await page.locator('h2:has-text("Endpoint")').innerText()).toContain('sluice-local-churn');
      expect(await page.locator('table.endpoint').innerText()).toMatch(/^v1/m);
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
    });

    it('shows the per-class table and the tuning trials when the model is a text classifier', async () => {
      // Act
      await page.goto(`${app.url}/models/reviews`);
      const shot = await screenshot(page, 'model-reviews');

      // Assess
      const perClass = await page.locator('table.per-class').innerText();
      expect(perClass).toMatch(/label\s+precision\s+recall\s+f1/);
      expect(await page.locator('table.per-class tbody tr').count()).toBeGreaterThan(1);
      expect(await chartPoints(page, 'Tuning')).toBe(2);
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
    });
  });

  describe('the run report', () => {
    it('draws every chart with no server when the report file is opened on its own', async () => {
      // Prepare
      const report = lakePath(lake, `runs/churn/${churn.runId}.html`);
      expect(churn.outputs.report).toBe(report);

      // Act
      await page.goto(`file://${report}`);
      const shot = await screenshot(page, 'report');

      // Assess
      expect(await page.locator('h1').first().innerText()).toBe(`Run ${churn.runId}`);
      expect(await chartPoints(page, 'ROC curve')).toBeGreaterThan(20);
      expect(await chartPoints(page, 'Tuning')).toBe(3);
      expect(await page.locator('svg.workflow g.state').count()).toBeGreaterThan(20);
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
    });
  });
});
