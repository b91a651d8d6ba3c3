import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * docs/cost.md counts the state transitions and Lambda invocations of one happy run from the ASL. This test walks
 * state-machines/sluice.asl.json the way such a run goes, with the poll counts each table row states, and fails when a
 * row's figures no longer follow from the definition: a state added to the path, a loop reshaped, a Task that is no
 * longer a Lambda function.
 *
 * What is counted (AWS Step Functions pricing, Standard workflows: "Step Functions counts a state transition each time
 * a step of your workflow is executed. You are charged for the total number of state transitions across all your
 * state machines, including retries"): every state entered, Choice, Wait and Succeed included, in the parent and in
 * each Distributed Map child (a STANDARD child workflow execution is an execution of its own state machine).
 */
type AslState = {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Resource?: unknown;
  ItemProcessor?: AslMachine;
};
type AslMachine = { StartAt: string; States: Record<string, AslState> };

const ROOT = path.join(__dirname, '..', '..', '..');
const ASL = JSON.parse(readFileSync(path.join(ROOT, 'state-machines', 'sluice.asl.json'), 'utf8')) as AslMachine;
const COST_DOC = path.join(ROOT, 'docs', 'cost.md');

/** $0.025 per 1,000 state transitions (Step Functions pricing, Standard workflows, US East). */
const DOLLARS_PER_TRANSITION = 0.025 / 1000;

/** A happy run: the files ingested, how many times each poll loop's Choice runs, and the branch of each other Choice. */
interface HappyRun {
  files: number;
  /** By the loop's Choice state: how many polls (the poll Task runs that many times, the last one finds it done). */
  polls: Record<string, number>;
  /** By Choice state: the branch taken (its `Next`). */
  branch: Record<string, string>;
}

/** A poll loop's Choice: its Default waits again; its first Choice leaves the loop (the others restart work). */
function isPollChoice(state: AslState): boolean {
  return state.Type === 'Choice' && state.Default !== undefined && ASL.States[state.Default]?.Type === 'Wait';
}

/** Walks `machine` from StartAt to its end; returns the states entered and the Lambda Tasks among them. */
function walk(machine: AslMachine, run: HappyRun): { transitions: number; lambdas: number } {
  let transitions = 0;
  let lambdas = 0;
  const choiceVisits: Record<string, number> = {};
  let name: string | undefined = machine.StartAt;
  while (name !== undefined) {
    const state: AslState | undefined = machine.States[name];
    if (!state) throw new Error(`the walk reached "${name}", which the definition does not have`);
    transitions += 1;
    if (state.Type === 'Task' && isLambda(state.Resource)) lambdas += 1;
    if (state.Type === 'Map' && state.ItemProcessor) {
      // One child execution per file, each walking the ItemProcessor (its route Choice takes the Lambda default).
      const child = walk(state.ItemProcessor, run);
      transitions += run.files * child.transitions;
      lambdas += run.files * child.lambdas;
    }
    if (state.Type === 'Choice') {
      const visits: number = (choiceVisits[name] ?? 0) + 1;
      choiceVisits[name] = visits;
      if (isPollChoice(state)) {
        const polls: number | undefined = run.polls[name];
        if (polls === undefined) throw new Error(`the run gives no poll count for the loop of ${name}`);
        name = visits < polls ? state.Default : state.Choices?.[0]?.Next;
      } else {
        name = run.branch[name] ?? state.Default;
      }
    } else {
      name = state.Type === 'Succeed' || state.Type === 'Fail' ? undefined : state.Next;
    }
  }
  return { transitions, lambdas };
}

/** A Task whose Resource is a Lambda function of the stack (`Fn::GetAtt` of `<S>LambdaFunction`). */
function isLambda(resource: unknown): boolean {
  const getAtt = (resource as { 'Fn::GetAtt'?: unknown[] } | null)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' && getAtt[0].endsWith('LambdaFunction');
}

/** A row of the table in docs/cost.md. */
interface CostRow {
  label: string;
  crawl: number;
  features: number;
  training: number;
  endpoint: number;
  transitions: number;
  dollars: string;
  lambdas: number;
}

/** The table rows: `| label | crawl / features / training / endpoint | transitions | $cost | invocations |`. */
function costRows(): CostRow[] {
  const rows: CostRow[] = [];
  for (const line of readFileSync(COST_DOC, 'utf8').split('\n')) {
    const match = /^\|\s*([^|]+?)\s*\|\s*(\d+) \/ (\d+) \/ (\d+) \/ (\d+)\s*\|\s*([\d,]+)\s*\|\s*\$([\d.]+)\s*\|\s*(\d+)\s*\|$/.exec(line);
    if (!match) continue;
    const [, label, crawl, features, training, endpoint, transitions, dollars, lambdas] = match;
    rows.push({
      label: label ?? '',
      crawl: Number(crawl),
      features: Number(features),
      training: Number(training),
      endpoint: Number(endpoint),
      transitions: Number((transitions ?? '').replace(/,/g, '')),
      dollars: dollars ?? '',
      lambdas: Number(lambdas),
    });
  }
  return rows;
}

/**
 * Polls of the evaluation transforms in a cloud run (docs/cost.md, "Polls assumed"): SageMaker training reports no full
 * evaluation, so the candidate is always scored and the loop always runs.
 */
const EVALUATION_POLLS = 12;

function happyRun(row: CostRow): HappyRun {
  const tuned = row.label.includes('tuning');
  return {
    files: 1,
    polls: {
      CrawlFinished: row.crawl,
      FeatureQueryFinished: row.features,
      TrainingFinished: row.training,
      TuningFinished: row.training,
      EvaluationTransformFinished: EVALUATION_POLLS,
      EndpointReady: row.endpoint,
    },
    branch: {
      HasNewData: 'IngestFiles',
      HasFeatures: 'StartFeatureQuery',
      TrainOrTune: tuned ? 'StartTuning' : 'StartTraining',
      EvaluationTransformStarted: 'WaitForEvaluationTransform',
      ShouldDeploy: 'Deploy',
    },
  };
}

describe('state transitions of a happy run', () => {
  describe('docs/cost.md', () => {
    it('has the untuned and the tuning rows when the cost table is read', () => {
      // Prepare / Act
      const labels = costRows().map((r) => r.label);

      // Assess
      expect(labels.some((l) => l.includes('single training job'))).toBe(true);
      expect(labels.some((l) => l.includes('tuning'))).toBe(true);
    });

    it.each(costRows().map((row) => [row.label, row] as const))('states the transitions, cost and Lambda invocations the ASL gives for "%s"', (_label, row) => {
      // Prepare
      const run = happyRun(row);

      // Act
      const counted = walk(ASL, run);

      // Assess
      expect({ transitions: row.transitions, dollars: row.dollars, lambdas: row.lambdas }).toEqual({
        transitions: counted.transitions,
        dollars: (counted.transitions * DOLLARS_PER_TRANSITION).toFixed(4),
        lambdas: counted.lambdas,
      });
    });
  });

  describe('the walk', () => {
    it('counts each poll as three transitions (Wait, poll Task, Choice) when a loop polls once more', () => {
      // Prepare
      const row = costRows()[0];
      if (!row) throw new Error('docs/cost.md has no table row');
      const once = happyRun(row);
      const more = happyRun({ ...row, training: row.training + 1 });

      // Act
      const difference = walk(ASL, more).transitions - walk(ASL, once).transitions;

      // Assess
      expect(difference).toBe(3);
    });

    it('counts a child execution per file when the run ingests more files', () => {
      // Prepare
      const row = costRows()[0];
      if (!row) throw new Error('docs/cost.md has no table row');
      const one = happyRun(row);

      // Act
      const difference = walk(ASL, { ...one, files: 2 }).transitions - walk(ASL, one).transitions;

      // Assess: the route Choice and ValidateAndPartition
      expect(difference).toBe(2);
    });
  });
});
