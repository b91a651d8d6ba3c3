import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipelineSpecError } from '../../../core/errors.js';
import { loadPipelineSpec } from '../../../core/spec/load-spec.js';
import { folderSpecCatalog } from '../../../core/pipelines/spec-catalog.js';
import { loadValidatedSpec, validatedFolderCatalog } from '../../../local/runtime/validated-spec.js';
import { typescriptRequireHook } from '../../../local/xgboost/worker-runtime.js';
import { REPO_ROOT } from '../../support/spec-fixtures.js';

const PIPELINES = path.join(REPO_ROOT, 'pipelines');
const SOURCE = path.resolve(__dirname, '../../../local/runtime/validated-spec.ts');

/** What a load in a Node process of its own reports: how the spec was had, and whether the YAML parser loaded. */
interface ChildLoad {
  readonly validation: string;
  readonly yamlLoaded: boolean;
  readonly code: string[];
}

/**
 * Loads a spec in a fresh Node process: jest's module registry hides `require.cache`, through which the default
 * code files are found, so only a plain process shows what a record holds and what a cached load skips.
 */
function loadInChild(pipelinesDir: string, cacheDir: string): Promise<ChildLoad> {
  const script = `${typescriptRequireHook()}
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { loadValidatedSpec } = require(${JSON.stringify(SOURCE)});
loadValidatedSpec('churn', ${JSON.stringify(pipelinesDir)}, ${JSON.stringify(cacheDir)}).then(({ validation }) => {
  const yamlLoaded = Object.keys(require.cache).some((k) => k.includes(path.join('node_modules', 'yaml')));
  const [record] = readdirSync(${JSON.stringify(cacheDir)});
  const code = JSON.parse(readFileSync(path.join(${JSON.stringify(cacheDir)}, record), 'utf8')).code.map((c) => c[0]);
  process.stdout.write(JSON.stringify({ validation, yamlLoaded, code }));
});
`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as ChildLoad);
    });
  });
}

describe('loadValidatedSpec', () => {
  let work: string;
  let cacheDir: string;
  let pipelinesDir: string;
  let codeFile: string;
  // jest's module registry hides require.cache, so the code the records compare is a file of the test's own.
  const options = () => ({ codeFiles: () => [codeFile] });

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sluice-validated-spec-'));
    cacheDir = path.join(work, 'validated-specs');
    pipelinesDir = path.join(work, 'pipelines');
    await cp(PIPELINES, pipelinesDir, { recursive: true, filter: (source) => !source.includes(`${path.sep}data`) });
    codeFile = path.join(work, 'rules.js');
    await writeFile(codeFile, '// v1\n');
  });

  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe('a spec loaded for the first time', () => {
    it('validates it and records it when no record exists', async () => {
      // Act
      const { spec, validation } = await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());

      // Assess
      expect(validation).toBe('validated');
      expect(spec).toStrictEqual(loadPipelineSpec('churn', pipelinesDir));
      expect(await readdir(cacheDir)).toHaveLength(1);
    });

    it('throws as loadPipelineSpec does and records nothing when the spec is invalid', async () => {
      // Prepare
      const file = path.join(pipelinesDir, 'churn', 'pipeline.yml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('name: churn', 'name: Churn!'));

      // Act
      const act = loadValidatedSpec('churn', pipelinesDir, cacheDir, options());

      // Assess
      await expect(act).rejects.toThrow(PipelineSpecError);
      await expect(act).rejects.toThrow(/name: must be 1-32 lowercase letters/);
      await expect(readdir(cacheDir)).rejects.toThrow(/ENOENT/);
    });

    it('records nothing when no code is known to compare a later load against', async () => {
      // Act
      const { validation } = await loadValidatedSpec('churn', pipelinesDir, cacheDir, { codeFiles: () => [] });

      // Assess
      expect(validation).toBe('validated');
      await expect(readdir(cacheDir)).rejects.toThrow(/ENOENT/);
    });
  });

  describe('a spec validated before', () => {
    it.each(['churn', 'reviews'])('returns the recorded %s spec, frozen and equal to a fresh validation, when nothing changed', async (name) => {
      // Prepare
      await loadValidatedSpec(name, pipelinesDir, cacheDir, options());

      // Act
      const { spec, validation } = await loadValidatedSpec(name, pipelinesDir, cacheDir, options());

      // Assess
      expect(validation).toBe('cached');
      expect(spec).toStrictEqual(loadPipelineSpec(name, pipelinesDir));
      expect(Object.isFrozen(spec.contract.columns[0])).toBe(true);
    });

    it('uses the record without validating when its inputs are unchanged', async () => {
      // Prepare: a record whose spec differs from what validation gives, so only a skipped validation can return it.
      await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());
      const [name = ''] = await readdir(cacheDir);
      const record = JSON.parse(await readFile(path.join(cacheDir, name), 'utf8')) as { spec: { description: string } };
      record.spec.description = 'from the record';
      await writeFile(path.join(cacheDir, name), JSON.stringify(record));

      // Act
      const { spec } = await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());

      // Assess
      expect(spec.description).toBe('from the record');
    });

    it('validates again when the spec text changed', async () => {
      // Prepare
      await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());
      const file = path.join(pipelinesDir, 'churn', 'pipeline.yml');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/^description: .*$/m, 'description: edited'));

      // Act
      const { spec, validation } = await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());

      // Assess
      expect(validation).toBe('validated');
      expect(spec.description).toBe('edited');
    });

    it('validates again when the feature query it read changed', async () => {
      // Prepare: the split and scoring rules read the query (its label column); any edit of it counts.
      await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());
      const spec = loadPipelineSpec('churn', pipelinesDir);
      const query = path.resolve(spec.dir, spec.features?.query ?? '');
      await writeFile(query, `${await readFile(query, 'utf8')}\n-- edited\n`);

      // Act
      const { validation } = await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());

      // Assess
      expect(validation).toBe('validated');
    });

    it('validates again when the code that validated it changed', async () => {
      // Prepare
      await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());
      await writeFile(codeFile, '// v2, a new rule\n');

      // Act
      const { validation } = await loadValidatedSpec('churn', pipelinesDir, cacheDir, options());

      // Assess
      expect(validation).toBe('validated');
    });

    it('validates every time when there is no cache folder', async () => {
      // Prepare
      await loadValidatedSpec('churn', pipelinesDir, undefined, options());

      // Act
      const { validation } = await loadValidatedSpec('churn', pipelinesDir, undefined, options());

      // Assess
      expect(validation).toBe('validated');
      await expect(readdir(cacheDir)).rejects.toThrow(/ENOENT/);
    });
  });

  describe('a spec loaded by a Node process of its own', () => {
    it('records the code that validated it and loads no YAML parser in the next process when nothing changed', async () => {
      // Prepare
      const first = await loadInChild(pipelinesDir, cacheDir);

      // Act
      const second = await loadInChild(pipelinesDir, cacheDir);

      // Assess
      expect(first).toMatchObject({ validation: 'validated', yamlLoaded: true });
      expect(first.code).toEqual(expect.arrayContaining([path.join(REPO_ROOT, 'core', 'spec', 'load-spec.ts'), path.join(REPO_ROOT, 'core', 'spec', 'schema.ts'), path.join(REPO_ROOT, 'node_modules', 'yaml', 'package.json'), path.join(REPO_ROOT, 'node_modules', 'zod', 'package.json')]));
      expect(second).toMatchObject({ validation: 'cached', yamlLoaded: false });
    }, 60_000);
  });
});

describe('validatedFolderCatalog', () => {
  let work: string;
  let pipelinesDir: string;

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sluice-validated-catalog-'));
    pipelinesDir = path.join(work, 'pipelines');
    await cp(PIPELINES, pipelinesDir, { recursive: true, filter: (source) => !source.includes(`${path.sep}data`) });
    await writeFile(path.join(work, 'rules.js'), '// v1\n');
  });

  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe('the built-in pipelines folder', () => {
    it('lists the specs the folder catalog lists, each recorded once, when loaded twice', async () => {
      // Prepare
      const cacheDir = path.join(work, 'validated-specs');
      const options = { codeFiles: () => [path.join(work, 'rules.js')] };
      await validatedFolderCatalog(pipelinesDir, cacheDir, options);

      // Act
      const catalog = await validatedFolderCatalog(pipelinesDir, cacheDir, options);

      // Assess
      expect(catalog.all()).toStrictEqual(folderSpecCatalog(pipelinesDir).all());
      expect(catalog.get('reviews').name).toBe('reviews');
      expect(() => catalog.get('nowhere')).toThrow(PipelineSpecError);
      expect(await readdir(cacheDir)).toHaveLength(2);
    });
  });
});
