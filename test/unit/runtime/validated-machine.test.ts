import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { definitionKey, validatedStateMachine } from '../../../local/runtime/validated-machine.js';

/** A definition the engine accepts: one Pass state whose result names it. */
function passMachine(result: string): StateMachineDefinition {
  return { StartAt: 'Only', States: { Only: { Type: 'Pass', Result: result, End: true } } } as unknown as StateMachineDefinition;
}

/** A definition asl-validator rejects: its StartAt names no state. */
const INVALID = { StartAt: 'Missing', States: { Only: { Type: 'Pass', End: true } } } as unknown as StateMachineDefinition;

describe('validatedStateMachine', () => {
  let cacheDir: string;

  beforeEach(async () => {
    cacheDir = path.join(await mkdtemp(path.join(tmpdir(), 'sluice-validated-')), 'validated-definitions');
  });

  afterEach(async () => {
    await rm(path.dirname(cacheDir), { recursive: true, force: true });
  });

  describe('a definition seen for the first time', () => {
    it('validates it and records its hash when no record exists', async () => {
      // Prepare: the key is taken before the build, as the engine may annotate the definition it is given.
      const definition = passMachine('v1');
      const key = definitionKey(definition);

      // Act
      const { validation } = await validatedStateMachine(definition, cacheDir);

      // Assess
      expect(validation).toBe('validated');
      expect(await readdir(cacheDir)).toEqual([`${key}.json`]);
    });

    it('throws and records nothing when the definition is invalid', async () => {
      // Prepare: the invalid definition given at the top

      // Act
      const act = validatedStateMachine(structuredClone(INVALID), cacheDir);

      // Assess
      await expect(act).rejects.toThrow(/State machine definition is invalid/);
      expect(existsSync(cacheDir)).toBe(false);
    });
  });

  describe('a definition validated before', () => {
    it('skips validation when a record names its hash', async () => {
      // Prepare: a record for a definition the validator would reject, so only a skipped validation can build it.
      await mkdir(cacheDir, { recursive: true });
      const invalid = structuredClone(INVALID);
      await writeFile(path.join(cacheDir, `${definitionKey(invalid)}.json`), '{}\n');

      // Act
      const { validation, machine } = await validatedStateMachine(invalid, cacheDir);

      // Assess
      expect(validation).toBe('cached');
      expect(machine).toBeDefined();
    });

    it('answers from the record on the second build of an unchanged definition', async () => {
      // Prepare
      await validatedStateMachine(passMachine('v1'), cacheDir);

      // Act
      const { validation } = await validatedStateMachine(passMachine('v1'), cacheDir);

      // Assess
      expect(validation).toBe('cached');
    });

    it('validates again when the definition changed since its record', async () => {
      // Prepare
      await validatedStateMachine(passMachine('v1'), cacheDir);

      // Act
      const { validation } = await validatedStateMachine(passMachine('v2'), cacheDir);

      // Assess
      expect(validation).toBe('validated');
      expect((await readdir(cacheDir)).sort()).toEqual([`${definitionKey(passMachine('v1'))}.json`, `${definitionKey(passMachine('v2'))}.json`].sort());
    });

    it('validates every time when no cache folder is given', async () => {
      // Prepare: no cache folder

      // Act
      const act = validatedStateMachine(structuredClone(INVALID), undefined);

      // Assess
      await expect(act).rejects.toThrow(/State machine definition is invalid/);
    });
  });
});
