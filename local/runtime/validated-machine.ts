import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition, StateMachineOptions } from 'aws-local-stepfunctions';

type ValidationOptions = NonNullable<StateMachineOptions['validationOptions']>;

/*
 * run-local.ts imports this module when a run starts: the engine's bundle loads the Lambda client, the credential
 * providers and asl-validator (0.3-0.5 s here), which no other command needs.
 */

/**
 * How the engine validates: every ASL rule (asl-validator), JSONPath syntax included, but not the ARNs, which name
 * local stand-ins for Lambda functions (see `LOCAL_ARN_PREFIX`).
 */
const VALIDATION_OPTIONS: ValidationOptions = { checkArn: false, checkPaths: true };

/** A state machine ready to run, and whether its definition was validated now or found validated before. */
export interface ValidatedMachine {
  readonly machine: StateMachine;
  readonly validation: 'validated' | 'cached';
}

/**
 * Builds the engine's state machine for `definition`, validating the definition once per version. aws-local-stepfunctions
 * validates a definition on construction (asl-validator's JSON schemas compiled by ajv, about 0.35-0.6 s here) unless
 * `validationOptions.noValidate` is set (its README, "StateMachine constructor": `noValidate` "will skip validation of
 * the definition entirely"; the engine itself builds Map and Parallel bodies that way). Validation is a pure function
 * of the definition, the options and the engine's version, so a definition whose hash of those three has a record in
 * `cacheDir` is built with `noValidate`; any other is validated, and recorded once valid. An invalid definition throws
 * as before and is never recorded. A cache folder that cannot be written only costs the next run a validation.
 */
export async function validatedStateMachine(definition: StateMachineDefinition, cacheDir: string | undefined): Promise<ValidatedMachine> {
  const record = cacheDir === undefined ? undefined : path.join(cacheDir, `${definitionKey(definition)}.json`);
  if (record !== undefined && (await isFile(record))) {
    return { machine: new StateMachine(definition, { validationOptions: { ...VALIDATION_OPTIONS, noValidate: true } }), validation: 'cached' };
  }
  const machine = new StateMachine(definition, { validationOptions: VALIDATION_OPTIONS });
  if (record !== undefined) {
    await mkdir(path.dirname(record), { recursive: true })
      .then(() => writeFile(record, `${JSON.stringify({ validatedAt: new Date().toISOString(), engine: engineVersion() })}\n`))
      .catch(() => undefined);
  }
  return { machine, validation: 'validated' };
}

/** The hash a validation record is named after: definition, validation options and engine version. */
export function definitionKey(definition: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ engine: engineVersion(), options: VALIDATION_OPTIONS, definition }))
    .digest('hex');
}

let cachedEngineVersion: string | undefined;

/** aws-local-stepfunctions' version: a new engine may validate differently, so its records are its own. */
function engineVersion(): string {
  if (cachedEngineVersion === undefined) {
    // Its `exports` map hides package.json: find it from the entry point (build/main.node.cjs).
    const entry = require.resolve('aws-local-stepfunctions');
    const manifest = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version?: unknown };
    cachedEngineVersion = typeof manifest.version === 'string' ? manifest.version : 'unknown';
  }
  return cachedEngineVersion;
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}
