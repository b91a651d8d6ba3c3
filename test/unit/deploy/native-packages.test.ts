import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LAMBDA_PLATFORM, nativePackageDirs, nativePackagePatterns } from '../../../deploy/native-packages.js';

/** A project folder with a package.json per installed package and, optionally, a package-lock.json. */
function makeProject(installed: Record<string, object>, lock: Record<string, object> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sluice-native-'));
  for (const [dir, manifest] of Object.entries(installed)) {
    mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(path.join(root, dir, 'package.json'), JSON.stringify(manifest));
  }
  writeFileSync(path.join(root, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: lock }));
  return root;
}

const LINUX_X64 = { os: ['linux'], cpu: ['x64'], libc: ['glibc'] };
const LINUX_X64_MUSL = { os: ['linux'], cpu: ['x64'], libc: ['musl'] };
const DARWIN_ARM64 = { os: ['darwin'], cpu: ['arm64'] };

/** A package like @duckdb/node-api: a JS API, its bindings loader, and one optional build per platform. */
const API = {
  'node_modules/@db/api': { name: '@db/api', version: '1.0.0', dependencies: { '@db/bindings': '1.0.0' } },
  'node_modules/@db/bindings': {
    name: '@db/bindings',
    version: '1.0.0',
    dependencies: { 'detect-libc': '^2.0.0' },
    optionalDependencies: { '@db/bindings-linux-x64': '1.0.0', '@db/bindings-linux-x64-musl': '1.0.0', '@db/bindings-darwin-arm64': '1.0.0' },
  },
  'node_modules/detect-libc': { name: 'detect-libc', version: '2.1.2' },
};

describe('nativePackageDirs', () => {
  let root: string;

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  describe('a package with per-platform optional builds', () => {
    it('lists the package, its dependencies and the Lambda build only when the Lambda build is installed', () => {
      // Prepare
      root = makeProject(
        { ...API, 'node_modules/@db/bindings-linux-x64': { name: '@db/bindings-linux-x64', version: '1.0.0', ...LINUX_X64 } },
        { 'node_modules/@db/bindings-linux-x64-musl': { version: '1.0.0', optional: true, ...LINUX_X64_MUSL } },
      );

      // Act
      const dirs = nativePackageDirs(['@db/api'], LAMBDA_PLATFORM, root);

      // Assess
      expect(dirs).toEqual(['node_modules/@db/api', 'node_modules/@db/bindings', 'node_modules/@db/bindings-linux-x64', 'node_modules/detect-libc']);
    });

    it('leaves out an installed build when it is for another platform', () => {
      // Prepare
      root = makeProject({
        ...API,
        'node_modules/@db/bindings-linux-x64': { name: '@db/bindings-linux-x64', version: '1.0.0', ...LINUX_X64 },
        'node_modules/@db/bindings-darwin-arm64': { name: '@db/bindings-darwin-arm64', version: '1.0.0', ...DARWIN_ARM64 },
      });

      // Act
      const dirs = nativePackageDirs(['@db/api'], LAMBDA_PLATFORM, root);

      // Assess
      expect(dirs).not.toContain('node_modules/@db/bindings-darwin-arm64');
      expect(dirs).toContain('node_modules/@db/bindings-linux-x64');
    });

    it('fails with the install command when the lock lists a Lambda build npm did not install', () => {
      // Prepare
      root = makeProject(
        { ...API, 'node_modules/@db/bindings-darwin-arm64': { name: '@db/bindings-darwin-arm64', version: '1.0.0', ...DARWIN_ARM64 } },
        { 'node_modules/@db/bindings-linux-x64': { version: '1.0.0', optional: true, ...LINUX_X64 } },
      );

      // Act
      const act = () => nativePackageDirs(['@db/api'], LAMBDA_PLATFORM, root);

      // Assess
      expect(act).toThrow('npm install --no-save --force @db/bindings-linux-x64@1.0.0');
    });

    it('fails naming the package when a required dependency is missing', () => {
      // Prepare
      const { 'node_modules/detect-libc': _missing, ...withoutDetectLibc } = API;
      root = makeProject(withoutDetectLibc);

      // Act
      const act = () => nativePackageDirs(['@db/api'], LAMBDA_PLATFORM, root);

      // Assess
      expect(act).toThrow('detect-libc is not installed');
    });
  });

  describe('nested installs', () => {
    it('finds a dependency in the node_modules of the package that needs it when versions conflict', () => {
      // Prepare
      root = makeProject({
        'node_modules/app': { name: 'app', version: '1.0.0', dependencies: { lib: '2.0.0' } },
        'node_modules/app/node_modules/lib': { name: 'lib', version: '2.0.0' },
        'node_modules/lib': { name: 'lib', version: '1.0.0' },
      });

      // Act
      const dirs = nativePackageDirs(['app'], LAMBDA_PLATFORM, root);

      // Assess
      expect(dirs).toEqual(['node_modules/app', 'node_modules/app/node_modules/lib']);
    });
  });
});

describe('nativePackagePatterns', () => {
  describe('package patterns for a function', () => {
    let root: string;

    afterEach(() => {
      rmSync(root, { recursive: true, force: true });
    });

    it('includes each folder and excludes type declarations when packages are listed', () => {
      // Prepare
      root = makeProject({ 'node_modules/solo': { name: 'solo', version: '1.0.0' } });

      // Act
      const patterns = nativePackagePatterns(['solo'], LAMBDA_PLATFORM, root);

      // Assess
      expect(patterns).toEqual(['node_modules/solo/**', '!node_modules/**/*.d.ts']);
    });

    it('adds nothing when no package is listed', () => {
      // Prepare
      root = makeProject({});

      // Act
      const patterns = nativePackagePatterns([], LAMBDA_PLATFORM, root);

      // Assess
      expect(patterns).toEqual([]);
    });
  });
});
