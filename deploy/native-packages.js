'use strict';

/**
 * Packages that esbuild must leave out of a bundle (native addons, files loaded by path) are shipped as they are
 * installed in node_modules, with their production dependencies, for the Lambda platform only. No `npm install`
 * runs at package time: what goes into the zip is what package-lock.json put on disk.
 */

const fs = require('node:fs');
const path = require('node:path');

/**
 * A platform as npm's `os`, `cpu` and `libc` package fields name it.
 * @typedef {object} Platform
 * @property {string} os
 * @property {string} cpu
 * @property {string} libc
 */

/**
 * The fields of a package.json, or of a package-lock.json entry, that this module reads.
 * @typedef {object} Manifest
 * @property {string} [version]
 * @property {string[]} [os]
 * @property {string[]} [cpu]
 * @property {string[]} [libc]
 * @property {Record<string, string>} [dependencies]
 * @property {Record<string, string>} [optionalDependencies]
 */

/**
 * Lambda x86_64 runs Amazon Linux with glibc.
 * @type {Readonly<Platform>}
 */
const LAMBDA_PLATFORM = Object.freeze({ os: 'linux', cpu: 'x64', libc: 'glibc' });

const ROOT = path.resolve(__dirname, '..');

/**
 * @param {string} file
 * @returns {unknown}
 */
function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * Where Node would find `name` when required from `fromDir`: the nearest node_modules up the tree, within `root`.
 * @param {string} name
 * @param {string} fromDir
 * @param {string} root
 * @returns {string | undefined}
 */
function findInstalled(name, fromDir, root) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Whether a package.json (or lock entry) with `os`, `cpu`, `libc` fields runs on `platform`.
 * @param {Manifest} manifest
 * @param {Platform} platform
 * @returns {boolean}
 */
function runsOn(manifest, platform) {
  /**
   * @param {string[] | undefined} list
   * @param {string} value
   */
  const allows = (list, value) => {
    if (!Array.isArray(list) || list.length === 0) return true;
    if (list.includes(`!${value}`)) return false;
    const positive = list.filter((v) => !v.startsWith('!'));
    return positive.length === 0 || positive.includes(value);
  };
  return allows(manifest.os, platform.os) && allows(manifest.cpu, platform.cpu) && allows(manifest.libc, platform.libc);
}

/**
 * The lock entry of a package, if package-lock.json lists it.
 * @param {string} name
 * @param {string} root
 * @returns {Manifest | undefined}
 */
function lockEntry(name, root) {
  const lockFile = path.join(root, 'package-lock.json');
  if (!fs.existsSync(lockFile)) return undefined;
  const lock = /** @type {{ packages?: Record<string, Manifest> }} */ (readJson(lockFile));
  const packages = lock.packages ?? {};
  const key = Object.keys(packages).find((k) => k === `node_modules/${name}` || k.endsWith(`/node_modules/${name}`));
  return key === undefined ? undefined : packages[key];
}

/**
 * The installed folders (relative to `root`, the project) of `names` and of everything they depend on at run time on
 * `platform`. An optional dependency built for another platform is skipped; one built for `platform` that npm did
 * not install (packaging on macOS, say) is an error, because the function would fail to load it in Lambda.
 * @param {readonly string[]} names
 * @param {Platform} [platform]
 * @param {string} [root]
 * @returns {string[]}
 */
function nativePackageDirs(names, platform = LAMBDA_PLATFORM, root = ROOT) {
  /** @type {Set<string>} */
  const found = new Set();
  /**
   * @param {string} name
   * @param {string} fromDir
   * @param {boolean} optional
   * @returns {void}
   */
  const visit = (name, fromDir, optional) => {
    const dir = findInstalled(name, fromDir, root);
    if (!dir) {
      if (!optional) throw new Error(`${name} is not installed: run npm ci`);
      const entry = lockEntry(name, root);
      if (entry && runsOn(entry, platform)) {
        throw new Error(
          `${name}, the ${platform.os}-${platform.cpu} build the function loads in Lambda, is not installed on this ` +
            `machine: npm install --no-save --force ${name}@${entry.version}`,
        );
      }
      return;
    }
    const relative = path.relative(root, dir).split(path.sep).join('/');
    if (found.has(relative)) return;
    const manifest = /** @type {Manifest} */ (readJson(path.join(dir, 'package.json')));
    if (!runsOn(manifest, platform)) return;
    found.add(relative);
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of names) visit(name, root, false);
  return [...found].sort();
}

/**
 * `package.patterns` that put those folders in a function's zip, without type declarations.
 * @param {readonly string[]} names
 * @param {Platform} [platform]
 * @param {string} [root]
 * @returns {string[]}
 */
function nativePackagePatterns(names, platform = LAMBDA_PLATFORM, root = ROOT) {
  if (names.length === 0) return [];
  return [...nativePackageDirs(names, platform, root).map((dir) => `${dir}/**`), '!node_modules/**/*.d.ts'];
}

module.exports = { LAMBDA_PLATFORM, nativePackageDirs, nativePackagePatterns };
