import path from 'node:path';

/**
 * The folder where the project's workflow definitions that passed the engine's validation are recorded, beside dist/:
 * `<projectRoot>/.sluice/validated-definitions` (git-ignored). The definition is the project's (deploy/state-machine.js
 * generates it), not a lake's, so every lake, fresh ones included, shares its record.
 */
export function validationCacheDir(projectRoot: string): string {
  return path.join(projectRoot, '.sluice', 'validated-definitions');
}
