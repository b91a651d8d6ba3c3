/* eslint-disable @typescript-eslint/no-require-imports -- jest.isolateModules and the CommonJS deploy table load with require. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { ESLint } from 'eslint';
import { describeError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log/logger.js';
import { stateNames } from '../../../core/steps/registry.js';
import type { JSONValue, LocalTask, localBindings } from '../../../local/runtime/local-bindings.js';
import type { LocalDeps } from '../../../local/runtime/local-deps.js';
import { localDistributedMaps } from '../../../local/runtime/distributed-map.js';
import { loadDefinition, taskStateNames } from '../../../local/runtime/resolve-definition.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

/**
 * One Task state is one name in five places: the state machine's Resource, the Lambda function
 * `functions/<kebab>/handler.ts`, its entry (and role) in deploy/functions.js, the step registry and the local
 * runtime's bindings. This test walks every Task state of every state machine and checks all five agree.
 *
 * To see which step a handler, a binding or the registry runs, every step module under core/steps/ is replaced by a
 * sentinel that answers with its state's name: a place that runs another state's step (or no step of the registry)
 * answers with another name, or none.
 */

type State = Record<string, unknown>;
interface Definition {
  States: Record<string, State>;
}
interface TaskState {
  machine: string;
  name: string;
  state: State;
}

const MACHINES_DIR = path.join(REPO_ROOT, 'state-machines');
const machines = readdirSync(MACHINES_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file: `state-machines/${file}`, definition: JSON.parse(readFileSync(path.join(MACHINES_DIR, file), 'utf8')) as Definition }));

/** Every Task state of a definition with its body, Map item processors and Parallel branches included. */
function taskStates(machine: string, definition: Definition): TaskState[] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const processor = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
    const branches = (state.Branches as Definition[] | undefined) ?? [];
    return [
      ...(state.Type === 'Task' ? [{ machine, name, state }] : []),
      ...(processor ? taskStates(machine, processor) : []),
      ...branches.flatMap((branch) => taskStates(machine, branch)),
    ];
  });
}

/**
 * A Task run by a service integration (`arn:aws:states:::<service>:<action>`), not by a Lambda function of ours: the
 * large-file route's `ecs:runTask.waitForTaskToken`, checked below against the container it runs.
 */
const isServiceTask = (state: Record<string, unknown>) => typeof state.Resource === 'string' && state.Resource.startsWith('arn:aws:states:::');
const allTasks = machines.flatMap(({ file, definition }) => taskStates(file, definition));
const tasks = allTasks.filter((t) => !isServiceTask(t.state));
const taskNames = [...new Set(tasks.map((t) => t.name))];
const serviceTasks = allTasks.filter((t) => isServiceTask(t.state));

/** `GetCrawlerState` -> `get-crawler-state`: the step's file and the function's folder. */
function kebab(state: string): string {
  return state.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();
}

/** `GetCrawlerState` -> `getCrawlerState`: the step's export. */
function camel(state: string): string {
  return `${state.charAt(0).toLowerCase()}${state.slice(1)}`;
}

const stepModule = (state: string) => path.join(REPO_ROOT, 'core', 'steps', `${kebab(state)}.ts`);
const handlerModule = (state: string) => path.join(REPO_ROOT, 'functions', kebab(state), 'handler.ts');

/** What a sentinel step answers: the state it stands for, and the input it received. */
interface SentinelAnswer {
  ranStepOf: string;
  input: unknown;
}

function isSentinelAnswer(value: unknown): value is SentinelAnswer {
  return typeof value === 'object' && value !== null && typeof (value as { ranStepOf?: unknown }).ranStepOf === 'string';
}

/** Runs `call` and says which state's step answered, or what answered instead. */
async function whoAnswers(call: () => Promise<unknown>): Promise<string> {
  try {
    const answer = await call();
    return isSentinelAnswer(answer) ? `the step of ${answer.ranStepOf}` : `no step of the registry (it answered ${JSON.stringify(answer)})`;
  } catch (error) {
    const { name, message } = describeError(error);
    return `no step of the registry (it threw ${name}: ${message.split('\n')[0] ?? ''})`;
  }
}

const LAMBDA_CONTEXT: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'sluice-test-step',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:sluice-test-step',
  memoryLimitInMB: '256',
  awsRequestId: 'step-registry-test',
  logGroupName: '/aws/lambda/sluice-test-step',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** The environment aws/wiring reads (through loadRuntimeConfig) when a handler module is loaded. */
const FUNCTION_ENVIRONMENT: Record<string, string> = {
  LAKE_BUCKET: 'sluice-test-lake',
  PIPELINES_DIR: path.join(REPO_ROOT, 'pipelines'),
  SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/sluice-test-sagemaker',
  SAGEMAKER_MODEL_ROLE_ARN: 'arn:aws:iam::123456789012:role/sluice-test-model',
  RESOURCE_PREFIX: 'sluice-test-',
  AWS_REGION: 'us-east-1',
};

interface Places {
  /** Which step each state's handler runs, or why it cannot run. */
  handlers: Map<string, string>;
  /** Which step the local runtime binds to each state. */
  bindings: Map<string, string>;
  /** Which step the registry holds for each state. */
  registry: Map<string, string>;
  /** The states the registry has a step for. */
  registryStates: string[];
}

/** Loads every handler, the registry and the local bindings with every step module replaced by its sentinel. */
async function loadPlaces(): Promise<Places> {
  const states = [...new Set([...taskNames, ...stateNames])];
  const loaded: { handlers: Map<string, unknown>; registry?: Record<string, unknown>; bindings?: Record<string, LocalTask> } = { handlers: new Map() };
  const saved = Object.fromEntries(Object.keys(FUNCTION_ENVIRONMENT).map((key) => [key, process.env[key]]));
  Object.assign(process.env, FUNCTION_ENVIRONMENT);
  try {
    jest.isolateModules(() => {
      for (const state of states) {
        if (!existsSync(stepModule(state))) continue;
        const sentinel = async (input: unknown): Promise<SentinelAnswer> => ({ ranStepOf: state, input });
        jest.doMock(stepModule(state), () => ({ [camel(state)]: sentinel }));
      }
      for (const state of taskNames) {
        if (!existsSync(handlerModule(state))) continue;
        try {
          loaded.handlers.set(state, (require(handlerModule(state)) as { handler?: unknown }).handler);
        } catch (error) {
          loaded.handlers.set(state, error instanceof Error ? error : new Error(String(error)));
        }
      }
      loaded.registry = (require('../../../core/steps/registry.js') as { stepRegistry: Record<string, unknown> }).stepRegistry;
      const bindings = require('../../../local/runtime/local-bindings.js') as { localBindings: typeof localBindings };
      // The sentinels use no dependency: the bindings themselves read only the logger.
      loaded.bindings = bindings.localBindings({ logger: silentLogger } as unknown as LocalDeps);
    });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }

  const places: Places = { handlers: new Map(), bindings: new Map(), registry: new Map(), registryStates: Object.keys(loaded.registry ?? {}) };
  for (const state of taskNames) {
    const probe: JSONValue = { probe: state };
    const handler = loaded.handlers.get(state);
    if (!existsSync(handlerModule(state))) places.handlers.set(state, 'missing');
    else if (handler instanceof Error) places.handlers.set(state, `fails to load: ${handler.message.split('\n')[0] ?? ''}`);
    else if (typeof handler !== 'function') places.handlers.set(state, 'exports no handler function');
    else places.handlers.set(state, await whoAnswers(() => (handler as (event: unknown, context: Context) => Promise<unknown>)(probe, LAMBDA_CONTEXT)));
    const binding = loaded.bindings?.[state as keyof typeof loaded.bindings];
    places.bindings.set(state, binding ? await whoAnswers(() => binding(probe)) : 'missing');
    const step = loaded.registry?.[state];
    places.registry.set(state, typeof step === 'function' ? await whoAnswers(() => (step as (input: unknown) => Promise<unknown>)(probe)) : 'missing');
  }
  return places;
}

/** deploy/functions.js's `functions` and `roles`, as serverless.yml loads them for stage `dev` of service `sluice`. */
async function deployTable(): Promise<{ functions: Record<string, { handler?: unknown; role?: unknown }>; roles: Record<string, unknown> }> {
  const table = require('../../../deploy/functions.js') as Record<'functions' | 'roles', (context: { resolveVariable: (name: string) => Promise<string> }) => Promise<Record<string, unknown>>>;
  const variables: Record<string, string> = { 'self:service': 'sluice', 'sls:stage': 'dev' };
  const context = { resolveVariable: async (name: string) => variables[name] ?? '' };
  return {
    functions: (await table.functions(context)) as Record<string, { handler?: unknown; role?: unknown }>,
    roles: await table.roles(context),
  };
}

describe('step registry', () => {
  let places: Places;
  let deployed: Awaited<ReturnType<typeof deployTable>>;

  beforeAll(async () => {
    places = await loadPlaces();
    deployed = await deployTable();
  });

  describe('the state machines', () => {
    it('has Task states to check when the state machines are read', () => {
      // Assess
      expect(machines.length).toBeGreaterThan(0);
      for (const { file, definition } of machines) {
        expect([file, taskStates(file, definition).map((t) => t.name)]).toEqual([file, taskStateNames(definition)]);
      }
      expect(taskNames.length).toBeGreaterThan(0);
    });
  });

  describe.each(serviceTasks.map((t) => [t.name, t] as const))('service Task state %s', (name, task) => {
    // A service Task has no function, deploy entry or registry row of its own: it runs its Lambda twin's step.
    it('runs the step of its Lambda twin in the container, on the deployed cluster and task definition, and has a local binding when the workflow is built', () => {
      // Prepare
      const problems: string[] = [];
      const ecs = require(path.join(REPO_ROOT, 'deploy', 'ecs.js')) as { CONTAINER: string; ids: { cluster: string; taskDefinition: string } };
      const twin = name.replace(/OnFargate$/, '');
      const parameters = task.state.Parameters as { Cluster?: unknown; TaskDefinition?: unknown; Overrides?: { ContainerOverrides?: { Name?: string }[] } };

      // Act
      if (task.state.Resource !== 'arn:aws:states:::ecs:runTask.waitForTaskToken') problems.push(`${name}: ${String(task.state.Resource)} is not a service integration the local runtime emulates`);
      if (twin === name || !stateNames.includes(twin as (typeof stateNames)[number])) problems.push(`${name}: no registry step ${twin} for its container to run`);
      const container = `functions/${kebab(twin)}/container.ts`;
      if (!existsSync(path.join(REPO_ROOT, container))) problems.push(`${container} is missing, for ${name}`);
      else if (!readFileSync(path.join(REPO_ROOT, 'functions', kebab(twin), 'ingest-task.ts'), 'utf8').includes(`${camel(twin)}(input, deps)`)) problems.push(`${container} does not run ${camel(twin)}`);
      if (JSON.stringify(parameters.Cluster) !== JSON.stringify({ 'Fn::GetAtt': [ecs.ids.cluster, 'Arn'] })) problems.push(`${name}: Cluster is not deploy/ecs.js's ${ecs.ids.cluster}`);
      if (JSON.stringify(parameters.TaskDefinition) !== JSON.stringify({ Ref: ecs.ids.taskDefinition })) problems.push(`${name}: TaskDefinition is not deploy/ecs.js's ${ecs.ids.taskDefinition}`);
      if (parameters.Overrides?.ContainerOverrides?.[0]?.Name !== ecs.CONTAINER) problems.push(`${name}: the container override does not name deploy/ecs.js's container "${ecs.CONTAINER}"`);
      const bound = localDistributedMaps(loadDefinition(REPO_ROOT), { store: { getText: async () => undefined } as never, lakeBucket: 'lake', lakeRoot: '/nonexistent', runId: 'r', specs: [] }).bind({});
      if (!(name in bound)) problems.push(`local/runtime/distributed-map.ts: no local binding for ${name}`);

      // Assess
      expect(problems).toEqual([]);
    });
  });


  describe.each(taskNames)('Task state %s', (name) => {
    it('is one name in the state machine, its function, its deploy entry, the registry and the local runtime when the workflow is built', async () => {
      // Prepare
      const problems: string[] = [];
      const expectedResource = { 'Fn::GetAtt': [`${name}LambdaFunction`, 'Arn'] };
      const handlerFile = `functions/${kebab(name)}/handler.ts`;

      // Act
      // (a) The state machine names the state's function.
      for (const task of tasks.filter((t) => t.name === name)) {
        if (JSON.stringify(task.state.Resource) !== JSON.stringify(expectedResource)) {
          problems.push(`${task.machine}: ${name}'s Resource is ${JSON.stringify(task.state.Resource)}, not ${JSON.stringify(expectedResource)}`);
        }
      }
      // (b) Its function runs the registry's step for it.
      const handler = places.handlers.get(name);
      if (handler === 'missing') problems.push(`${handlerFile} is missing, for Task state ${name}`);
      else if (handler !== `the step of ${name}`) problems.push(`${handlerFile} ${handler?.startsWith('the step') || handler?.startsWith('no step') ? `runs ${handler}` : handler}, not the step of ${name}`);
      // (c) The deploy table has the function, with a role.
      const entry = Object.entries(deployed.functions).find(([key]) => `${key.charAt(0).toUpperCase()}${key.slice(1)}` === name)?.[1];
      if (!entry) problems.push(`deploy/functions.js: no function ${camel(name)} (logical id ${name}LambdaFunction) for Task state ${name}`);
      else {
        if (entry.handler !== `functions/${kebab(name)}/handler.handler`) problems.push(`deploy/functions.js: ${camel(name)}'s handler is ${String(entry.handler)}, not functions/${kebab(name)}/handler.handler`);
        if (typeof entry.role !== 'string' || !(entry.role in deployed.roles)) problems.push(`deploy/functions.js: ${camel(name)}'s role ${String(entry.role)} is not among its roles, for Task state ${name}`);
      }
      // (d) The registry holds the step of core/steps/<kebab>.ts, and the local runtime binds the state to it.
      const registered = places.registry.get(name);
      if (registered === 'missing') problems.push(`core/steps/registry.ts: no step for Task state ${name}`);
      else if (registered !== `the step of ${name}`) problems.push(`core/steps/registry.ts: ${name} maps to ${registered}, not ${camel(name)} of core/steps/${kebab(name)}.ts`);
      const bound = places.bindings.get(name);
      if (bound === 'missing') problems.push(`local/runtime/local-bindings.ts: no binding for Task state ${name}`);
      else if (bound !== `the step of ${name}`) problems.push(`local/runtime/local-bindings.ts: binds ${name} to ${bound}, not the registry's step of ${name}`);

      // Assess
      expect(problems).toEqual([]);
    });
  });

  describe('the registry', () => {
    it('has no step that no state machine uses when every Task state is collected', () => {
      // Act
      const unused = places.registryStates.filter((state) => !taskNames.includes(state));

      // Assess
      expect(unused.map((state) => `core/steps/registry.ts: ${state} is a Task state of no state machine under state-machines/`)).toEqual([]);
    });

    it('has one file per Task state under core/steps/ when the step files are listed', () => {
      // Prepare
      const stepFiles = readdirSync(path.join(REPO_ROOT, 'core', 'steps')).filter((file) => file.endsWith('.ts'));

      // Act
      // start-run, start-scoring-run and record-failure are steps of no Task state: the upload rule's target, the scoring
      // rule's and the failed-execution rule's.
      const expected = [...taskNames.map((state) => `${kebab(state)}.ts`), 'registry.ts', 'start-run.ts', 'start-scoring-run.ts', 'record-failure.ts'].sort();

      // Assess
      expect(stepFiles.sort()).toEqual(expected);
    });
  });

  describe('step imports', () => {
    const root = REPO_ROOT;
    // The project's own flat config, loaded here because jest's module system cannot run ESLint's dynamic import of it.
    const projectConfig = require('../../../eslint.config.js') as ESLint.Options['overrideConfig'];

    async function lintMessages(relativePath: string, code: string): Promise<{ ruleId: string | null; message: string }[]> {
      const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: projectConfig ?? [] });
      const [result] = await eslint.lintText(code, { filePath: path.join(root, relativePath) });
      return (result?.messages ?? []).map((m) => ({ ruleId: m.ruleId, message: m.message }));
    }

    it.each([
      ['imports a sibling step', "import { startCrawler } from './start-crawler.js';\nexport const used = [startCrawler];\n"],
      ['re-exports a sibling step', "export { startCrawler } from './start-crawler.js';\n"],
      ['imports the registry', "import { stepRegistry } from './registry.js';\nexport const used = [stepRegistry];\n"],
      ['imports a step through ../steps/', "import { startCrawler } from '../steps/start-crawler.js';\nexport const used = [startCrawler];\n"],
    ])('fails lint when a step %s', async (_what, code) => {
      // Act
      const messages = await lintMessages('core/steps/get-crawler-state.ts', code);

      // Assess
      expect(messages.filter((m) => m.ruleId === 'no-restricted-syntax')).toEqual([{ ruleId: 'no-restricted-syntax', message: expect.stringContaining('A step does not import another step') }]);
    });

    it('keeps the core boundary for step files when a step imports the SDK', async () => {
      // Act
      const messages = await lintMessages('core/steps/get-crawler-state.ts', "import { S3Client } from '@aws-sdk/client-s3';\nexport const used = [S3Client];\n");

      // Assess
      expect(messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
    });

    it('passes lint when a step imports a topic module, or when the registry imports the steps', async () => {
      // Act
      const step = await lintMessages('core/steps/get-crawler-state.ts', "import { crawlTarget } from '../crawl/crawl.js';\nexport const used = [crawlTarget];\n");
      const registry = await lintMessages('core/steps/registry.ts', "import { startCrawler } from './start-crawler.js';\nexport const used = [startCrawler];\n");

      // Assess
      expect([step, registry]).toEqual([[], []]);
    });
  });
});
