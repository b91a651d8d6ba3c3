import { execFile } from 'node:child_process';
import path from 'node:path';
import { typescriptRequireHook } from '../../../local/xgboost/worker-runtime.js';

const SOURCE = path.resolve(__dirname, '../../../local/runtime/deferred-modules.ts');
// The package's folder (its main is build/main.node.cjs): the child requires it by path, as from its own node_modules.
const ENGINE = path.dirname(path.dirname(require.resolve('aws-local-stepfunctions')));

/** What the child reports: the real modules loaded after each phase, and how validating a bad definition ended. */
interface ChildReport {
  readonly deferred: string[];
  readonly afterRequire: { lambda: boolean; validator: boolean };
  readonly invalidRejected: string;
  readonly afterUse: { lambda: boolean; validator: boolean };
}

/**
 * Runs the scenario in a fresh Node process: jest's module registry ignores `require.cache`, which is what
 * `deferModules` works through, so only a plain Node process shows what it defers.
 */
function runChild(defer: boolean): Promise<ChildReport> {
  const script = `${typescriptRequireHook()}
const path = require('node:path');
const engine = ${JSON.stringify(ENGINE)};
const { deferModules, WORKFLOW_ENGINE_UNUSED_MODULES } = require(${JSON.stringify(SOURCE)});
const deferred = ${defer ? 'deferModules(engine, WORKFLOW_ENGINE_UNUSED_MODULES)' : '[]'};
// A real module's own files are in the cache only once it has run: the stand-in is one entry, its dependencies none.
const loaded = () => ({
  lambda: Object.keys(require.cache).some((k) => k.includes(path.join('node_modules', '@smithy'))),
  validator: Object.keys(require.cache).some((k) => k.includes(path.join('asl-validator', 'dist', 'src', 'checks'))),
});
const { StateMachine } = require(engine);
const afterRequire = loaded();
let invalidRejected = 'accepted';
try {
  new StateMachine({ StartAt: 'Missing', States: { Only: { Type: 'Pass', End: true } } });
} catch (error) {
  invalidRejected = error.message.split('\\n')[0];
}
process.stdout.write(JSON.stringify({ deferred, afterRequire, invalidRejected, afterUse: loaded() }));
`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { cwd: ENGINE }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as ChildReport);
    });
  });
}

describe('deferModules', () => {
  describe('the workflow engine required by a local run', () => {
    it('loads neither the Lambda client nor the validator when the engine is only required', async () => {
      // Prepare: the same engine without deferral loads both at once, so the probe can see them.
      const plain = await runChild(false);

      // Act
      const deferredRun = await runChild(true);

      // Assess
      expect(plain.afterRequire).toEqual({ lambda: true, validator: true });
      expect(deferredRun.deferred).toEqual(['@aws-sdk/client-lambda', '@aws-sdk/credential-providers', 'asl-validator', 'p-limit', 'wildcard-match']);
      expect(deferredRun.afterRequire).toEqual({ lambda: false, validator: false });
    }, 60_000);

    it('loads the real validator and validates with it when the engine validates a definition', async () => {
      // Act
      const report = await runChild(true);

      // Assess: the invalid definition is refused as without deferral; the Lambda client is still never loaded.
      expect(report.invalidRejected).toBe('State machine definition is invalid, see error(s) below:');
      expect(report.afterUse).toEqual({ lambda: false, validator: true });
    }, 60_000);
  });

  describe('zod required with its locale bundle deferred', () => {
    /** Runs zod in a fresh Node process, its locales deferred or not, and reports what loaded and what a parse said. */
    function runZodChild(defer: boolean): Promise<{ deferred: string[]; localesAfterRequire: boolean; message: string; french: string; localesAfterUse: boolean }> {
      const zod = path.dirname(require.resolve('zod'));
      const script = `${typescriptRequireHook()}
const path = require('node:path');
const { deferModules, ZOD_UNUSED_MODULES } = require(${JSON.stringify(SOURCE)});
const deferred = ${defer ? `deferModules(${JSON.stringify(zod)}, ZOD_UNUSED_MODULES, { esModule: true })` : '[]'};
const locales = () => Object.keys(require.cache).some((k) => k.endsWith(path.join('locales', 'fr.cjs')));
const z = require(${JSON.stringify(zod)});
const localesAfterRequire = locales();
const message = z.object({ a: z.string().min(2) }).strict().safeParse({ a: 'x' }).error.issues[0].message;
z.config(z.locales.fr());
const french = z.string().safeParse(1).error.issues[0].message;
process.stdout.write(JSON.stringify({ deferred, localesAfterRequire, message, french, localesAfterUse: locales() }));
`;
      return new Promise((resolve, reject) => {
        execFile(process.execPath, ['-e', script], (error, stdout, stderr) => {
          if (error) reject(new Error(`${error.message}\n${stderr}`));
          else resolve(JSON.parse(stdout) as { deferred: string[]; localesAfterRequire: boolean; message: string; french: string; localesAfterUse: boolean });
        });
      });
    }

    it('loads no translation when zod is only required, and gives the same English messages', async () => {
      // Prepare: without deferral zod loads every translation at once, so the probe can see them.
      const plain = await runZodChild(false);

      // Act
      const deferredRun = await runZodChild(true);

      // Assess
      expect(plain.localesAfterRequire).toBe(true);
      expect(deferredRun.deferred).toEqual(['./v4/locales/index.cjs']);
      expect(deferredRun.localesAfterRequire).toBe(false);
      expect(deferredRun.message).toBe(plain.message);
    }, 60_000);

    it('loads the real translations when a program asks for one', async () => {
      // Act
      const report = await runZodChild(true);

      // Assess
      expect(report.localesAfterUse).toBe(true);
      expect(report.french).toBe((await runZodChild(false)).french);
      expect(report.french).not.toBe(report.message);
    }, 60_000);
  });
});
