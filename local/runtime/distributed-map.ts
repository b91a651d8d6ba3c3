import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { FailedChildExecution } from '../../core/ports/execution-history.js';
import type { ObjectStore } from '../../core/ports/object-store.js';
import type { PipelineSpec } from '../../core/spec/load-spec.js';
import { RUNNING_FROM_TYPESCRIPT, typescriptRequireHook } from '../xgboost/worker-runtime.js';
import type { IngestTaskMessage, IngestTaskRequest } from './ingest-task-process.js';
import type { JSONValue, LocalTask } from './local-bindings.js';
import { LambdaFunctionError } from './local-bindings.js';
import type { ResolvedDefinition } from './resolve-definition.js';
import { LOCAL_ARN_PREFIX } from './resolve-definition.js';

type State = Record<string, unknown>;
type Machine = { States: Record<string, State> } & Record<string, unknown>;

/**
 * aws-local-stepfunctions 3.0.0 runs a Map state in one way only: over an array at `ItemsPath`, children inline
 * (its MapStateAction). It ignores `ItemReader`, `ResultWriter`, `ToleratedFailurePercentage` and `ProcessorConfig`,
 * and it has no `$$.Task.Token` nor any service integration. So the local runtime emulates what Step Functions does
 * for the two features the workflow uses, keeping the definition's own choices:
 *
 * - a DISTRIBUTED Map becomes a Task bound to {@link runDistributedMap}: it reads the items from the ItemReader's JSON
 *   object in the local lake, builds each child's input with the Map's own ItemSelector (evaluated by the engine),
 *   runs the ItemProcessor's states (its Choice included) as one child execution per item with the engine, at most
 *   MaxConcurrency at a time, writes the results as ResultWriter does (`manifest.json` and `SUCCEEDED_n.json` /
 *   `FAILED_n.json` under `<Prefix>/<map run id>/`), fails with `States.ExceedToleratedFailureThreshold` past the
 *   tolerated failures, and returns `{MapRunArn, ResultWriterDetails}`;
 * - an `ecs:runTask.waitForTaskToken` Task becomes a Task bound to {@link localIngestTask}: the container's driver in a
 *   child process, answering as the container answers Step Functions. Its `Parameters` (cluster, network, the command
 *   line with the task token) have nothing to run on locally; the state's input `run` and `object` are what the
 *   command line carries.
 */
export interface LocalDistributedMaps {
  /** The definition the engine runs: each DISTRIBUTED Map a Task, each ECS Task a local one. */
  definition: ResolvedDefinition;
  /** The bindings of those Tasks, given the other states' bindings. */
  bind(bindings: Readonly<Record<string, LocalTask>>): Record<string, LocalTask>;
}

/** What the emulated map runs and tasks need. */
export interface DistributedMapOptions {
  store: ObjectStore;
  lakeBucket: string;
  lakeRoot: string;
  runId: string;
  specs: readonly PipelineSpec[];
  memoryLimit?: string;
  /**
   * Receives every event of every child execution with its item index, as the engine forwards an inline Map's item
   * events (the run's progress and summary show `ValidateAndPartition[3]`, and where a file failed).
   */
  onChildEvent?: (event: Record<string, unknown>) => void;
  /**
   * Receives a map run that failed past its tolerated failures, with its failed children, before the Map fails: what
   * the cloud's RecordFailure finds with ListExecutions by `mapRunArn` and DescribeExecution (the local failure
   * recorder hands them to the same step).
   */
  onMapRunFailed?: (run: { state: string; mapRunArn: string; failedChildren: FailedChildExecution[] }) => void;
}

const ECS_WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::ecs:runTask.waitForTaskToken';

/** Rewrites the definition's DISTRIBUTED Maps and ECS Tasks for the local engine (see {@link LocalDistributedMaps}). */
export function localDistributedMaps(definition: ResolvedDefinition, options: DistributedMapOptions): LocalDistributedMaps {
  // A JSON copy, not structuredClone: under jest's vm contexts a structured clone's objects have another realm's
  // prototype, and the engine's payload templates process only plain objects (its isPlainObj), skipping nested ones.
  const copy = JSON.parse(JSON.stringify(definition)) as Machine;
  const maps = new Map<string, State>();
  const ecsTasks: string[] = [];
  const rewriteEcs = (machine: Machine): void => {
    for (const [name, state] of Object.entries(machine.States)) {
      if (state.Type === 'Task' && state.Resource === ECS_WAIT_FOR_TASK_TOKEN) {
        const { Parameters: _parameters, HeartbeatSeconds: _heartbeat, ...rest } = state;
        machine.States[name] = { ...rest, Resource: `${LOCAL_ARN_PREFIX}${name}`, Parameters: { 'run.$': '$.run', 'object.$': '$.object' } };
        ecsTasks.push(name);
      }
    }
  };
  for (const [name, state] of Object.entries(copy.States)) {
    const processor = state.ItemProcessor as (Machine & { ProcessorConfig?: { Mode?: string } }) | undefined;
    if (state.Type !== 'Map' || processor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') continue;
    const { ProcessorConfig: _config, ...states } = processor;
    rewriteEcs(states);
    maps.set(name, { ...state, ItemProcessor: states });
    const kept = Object.fromEntries(Object.entries(state).filter(([key]) => ['Comment', 'ResultSelector', 'ResultPath', 'OutputPath', 'InputPath', 'Next', 'End', 'Catch'].includes(key)));
    copy.States[name] = { Type: 'Task', Resource: `${LOCAL_ARN_PREFIX}${name}`, ...kept };
  }
  return {
    definition: copy as ResolvedDefinition,
    bind(bindings) {
      const bound: Record<string, LocalTask> = {};
      for (const name of ecsTasks) bound[name] = (input) => localIngestTask(input, options);
      const children = { ...bindings, ...bound };
      for (const [name, map] of maps) bound[name] = (input) => runDistributedMap(name, map, input, children, options);
      return bound;
    },
  };
}

/** A child execution's record in a ResultWriter result file (the fields a NONE transformation keeps). */
interface ChildRecord {
  ExecutionArn: string;
  Name: string;
  Input: string;
  Output?: string;
  Error?: string;
  Cause?: string;
  Status: 'SUCCEEDED' | 'FAILED';
  StartDate: string;
  StopDate: string;
}

/** One map run of a DISTRIBUTED Map, as Step Functions runs it (see {@link LocalDistributedMaps}). */
export async function runDistributedMap(
  name: string,
  map: State,
  input: JSONValue,
  bindings: Readonly<Record<string, LocalTask>>,
  options: DistributedMapOptions,
): Promise<JSONValue> {
  const items = await readItems(map, input, options);
  const mapRunId = randomUUID();
  const mapRunArn = `arn:aws:states:us-east-1:000000000000:mapRun:sluice-local/${name}:${mapRunId}`;
  const processor = new StateMachine(map.ItemProcessor as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  const selector = map.ItemSelector === undefined ? undefined : new StateMachine({ StartAt: 'Select', States: { Select: { Type: 'Pass', Parameters: map.ItemSelector, End: true } } } as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });

  const records: ChildRecord[] = new Array<ChildRecord>(items.length);
  let next = 0;
  const runChild = async (index: number): Promise<void> => {
    const item = items[index] as JSONValue;
    const childInput = selector ? ((await selector.run(input, { context: { Map: { Item: { Index: index, Value: item } } } }).result) as JSONValue) : item;
    const childName = `${mapRunId.slice(0, 8)}-${index}`;
    const started = new Date().toISOString();
    const base = { ExecutionArn: `${mapRunArn}:${childName}`, Name: childName, Input: JSON.stringify(childInput), StartDate: started };
    try {
      const execution = processor.run(childInput, { overrides: { taskResourceLocalHandlers: bindings } });
      const forwarding = (async () => {
        for await (const event of execution.eventLogs) options.onChildEvent?.({ ...(event as unknown as Record<string, unknown>), index });
      })();
      let output: JSONValue;
      try {
        output = (await execution.result) as JSONValue;
      } finally {
        // The log can trail the result: the child's last events reach the tracker before the map goes on.
        await forwarding;
      }
      records[index] = { ...base, Output: JSON.stringify(output), Status: 'SUCCEEDED', StopDate: new Date().toISOString() };
    } catch (error) {
      const failure = (error instanceof Error && error.cause instanceof Error ? error.cause : error) as { name?: unknown; message?: unknown };
      records[index] = { ...base, Error: String(failure.name ?? 'Error'), Cause: String(failure.message ?? ''), Status: 'FAILED', StopDate: new Date().toISOString() };
    }
  };
  const maxConcurrency = typeof map.MaxConcurrency === 'number' && map.MaxConcurrency > 0 ? map.MaxConcurrency : items.length;
  const workers = Array.from({ length: Math.min(maxConcurrency, items.length) }, async () => {
    while (next < items.length) await runChild(next++);
  });
  await Promise.all(workers);

  const failed = records.filter((r) => r.Status === 'FAILED');
  const details = await writeResults(map, mapRunId, mapRunArn, records, options);
  const toleratedPercent = typeof map.ToleratedFailurePercentage === 'number' ? map.ToleratedFailurePercentage : 0;
  const toleratedCount = typeof map.ToleratedFailureCount === 'number' ? map.ToleratedFailureCount : 0;
  if (failed.length > toleratedCount && (failed.length * 100) / Math.max(items.length, 1) > toleratedPercent) {
    // Step Functions fails the Map with this name; the message says which file failed and why, as the map run's
    // failed child does in the console, so a person reading the local summary need not open the result files.
    options.onMapRunFailed?.({ state: name, mapRunArn, failedChildren: failed.map((r) => ({ status: r.Status, input: r.Input, ...(r.Error !== undefined ? { error: r.Error } : {}), ...(r.Cause !== undefined ? { cause: r.Cause } : {}) })) });
    const first = failed[0];
    const error = new Error(`${childMessage(first)} (${first?.Error ?? 'Error'}; ${failed.length} of ${items.length} files failed, more than the ${toleratedPercent}% tolerated)`);
    error.name = 'States.ExceedToleratedFailureThreshold';
    throw error;
  }
  return { MapRunArn: mapRunArn, ResultWriterDetails: details };
}

/** A failed child's error message: the Lambda error document's `errorMessage` in its Cause, else the Cause itself. */
function childMessage(record: ChildRecord | undefined): string {
  const cause = record?.Cause ?? '';
  try {
    const document = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof document.errorMessage === 'string') return document.errorMessage;
  } catch {
    // Not a Lambda error document (a States.* error): the Cause is the message.
  }
  return cause;
}

async function readItems(map: State, input: JSONValue, options: DistributedMapOptions): Promise<unknown[]> {
  const reader = map.ItemReader as { Parameters?: Record<string, unknown> } | undefined;
  if (!reader) throw new Error('a DISTRIBUTED Map without an ItemReader is not emulated locally');
  const bucket = resolveParameter(reader.Parameters ?? {}, 'Bucket', input, options);
  const key = resolveParameter(reader.Parameters ?? {}, 'Key', input, options);
  const text = await options.store.getText({ bucket, key });
  if (text === undefined) throw new Error(`ItemReader: s3://${bucket}/${key} does not exist`);
  const items: unknown = JSON.parse(text);
  if (!Array.isArray(items)) throw new Error(`ItemReader: s3://${bucket}/${key} is not a JSON array`);
  return items;
}

async function writeResults(map: State, mapRunId: string, mapRunArn: string, records: readonly ChildRecord[], options: DistributedMapOptions): Promise<{ Bucket: string; Key: string }> {
  const writer = map.ResultWriter as { Parameters?: Record<string, unknown> } | undefined;
  if (!writer) throw new Error('a DISTRIBUTED Map without a ResultWriter is not emulated locally');
  const bucket = resolveParameter(writer.Parameters ?? {}, 'Bucket', {}, options);
  const prefix = `${resolveParameter(writer.Parameters ?? {}, 'Prefix', {}, options)}/${mapRunId}/`;
  const files: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string; Size: number }[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const chosen = records.filter((r) => r.Status === status);
    if (chosen.length === 0) continue;
    const body = JSON.stringify(chosen);
    const key = `${prefix}${status}_0.json`;
    await options.store.putText({ bucket, key }, body, 'application/json');
    files[status].push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${prefix}manifest.json`;
  await options.store.putText({ bucket, key: manifestKey }, JSON.stringify({ DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: files }), 'application/json');
  return { Bucket: bucket, Key: manifestKey };
}

/**
 * A reader's or writer's parameter: a literal, a `.$` path into the state input, or `{"Ref": "LakeBucket"}` (the lake
 * bucket, the one CloudFormation resource the definition names there).
 */
function resolveParameter(parameters: Record<string, unknown>, name: string, input: JSONValue, options: DistributedMapOptions): string {
  const literal = parameters[name];
  if (typeof literal === 'string') return literal;
  if (literal !== null && typeof literal === 'object' && (literal as { Ref?: unknown }).Ref === 'LakeBucket') return options.lakeBucket;
  const jsonPath = parameters[`${name}.$`];
  if (typeof jsonPath === 'string' && jsonPath.startsWith('$.')) {
    let value: unknown = input;
    for (const key of jsonPath.slice(2).split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (typeof value === 'string') return value;
  }
  throw new Error(`no local value for the parameter ${name} (${JSON.stringify(literal ?? jsonPath)})`);
}

/**
 * The large-file route locally: the container's driver in a child Node process (local/runtime/ingest-task-process.ts),
 * given the state input as the container's command line carries it. Its answer is the state's result, or its error
 * exactly as SendTaskFailure reports it (the Lambda error document); a process that ends without answering fails the
 * state with States.HeartbeatTimeout, as a dead container does once its heartbeats stop.
 */
export function localIngestTask(input: JSONValue, options: DistributedMapOptions): Promise<JSONValue> {
  const state = input as { run?: unknown; object?: unknown };
  const request: IngestTaskRequest = {
    lakeRoot: options.lakeRoot,
    runId: options.runId,
    specs: [...options.specs],
    run: JSON.stringify(state.run),
    object: JSON.stringify(state.object),
    ...(options.memoryLimit ? { memoryLimit: options.memoryLimit } : {}),
  };
  const file = path.join(__dirname, `ingest-task-process${RUNNING_FROM_TYPESCRIPT ? '.ts' : '.js'}`);
  const code = `${RUNNING_FROM_TYPESCRIPT ? typescriptRequireHook() : ''}\nrequire(${JSON.stringify(file)}).startIngestTaskChild();\n`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let answered = false;
    child.on('message', (message: IngestTaskMessage) => {
      if (message.type === 'success') {
        answered = true;
        resolve(JSON.parse(message.output) as JSONValue);
      } else if (message.type === 'failure') {
        answered = true;
        reject(new LambdaFunctionError(JSON.parse(message.cause) as ConstructorParameters<typeof LambdaFunctionError>[0]));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (answered) return;
      const error = new Error(`the ingest task process ended (${signal ?? `exit code ${String(code)}`}) without answering`);
      error.name = 'States.HeartbeatTimeout';
      reject(error);
    });
    child.send(request);
  });
}
