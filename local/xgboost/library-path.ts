/**
 * Where the XGBoost library is: the explicit path, or the first of the usual install locations that exists. Apart
 * from the binding (native.ts) because it loads no koffi: the run's thread resolves the path to hand to a training
 * worker, and only the worker loads and calls the library.
 */
import { existsSync } from 'node:fs';
import { loadLocalSettings } from '../../core/config/runtime-config.js';
import { XgboostNotInstalledError } from './errors.js';

/** The message of {@link XgboostNotInstalledError}: how to get the library. */
export const XGBOOST_INSTALL_HINT =
  'Install XGBoost 1.7 (the version of SageMaker\'s "1.7-1" container): on Debian/Ubuntu run ' +
  '`sudo apt-get install libxgboost0` (Debian 12 ships 1.7.4), or point the XGBOOST_LIBRARY environment ' +
  'variable at a libxgboost.so of version 1.7.x (for example the one inside `pip install xgboost==1.7.4`: ' +
  '<site-packages>/xgboost/lib/libxgboost.so).';

/** The XGBoost version (major.minor) a library must have unless told otherwise: what SageMaker's XGBoost 1.7-1 container runs. */
export const DEFAULT_EXPECTED_XGBOOST = '1.7';

/** Paths tried, in order, when no explicit library path is given. */
export const XGBOOST_LIBRARY_CANDIDATES: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/libxgboost.so.0',
  '/usr/lib/x86_64-linux-gnu/libxgboost.so',
  '/usr/lib/aarch64-linux-gnu/libxgboost.so.0',
  '/usr/lib/aarch64-linux-gnu/libxgboost.so',
  '/usr/local/lib/libxgboost.so',
  '/usr/lib/libxgboost.so',
  '/usr/lib64/libxgboost.so',
  '/opt/homebrew/lib/libxgboost.dylib',
  '/usr/local/lib/libxgboost.dylib',
];

/** Picks the library file: the explicit path if given (it must exist), else the first candidate that exists. */
export function resolveXgboostLibrary(
  libraryPath: string | undefined,
  candidates: readonly string[] = XGBOOST_LIBRARY_CANDIDATES,
): string {
  if (libraryPath !== undefined) {
    if (!existsSync(libraryPath)) {
      throw new XgboostNotInstalledError(
        `XGBoost library not found at ${libraryPath} (given explicitly, e.g. through XGBOOST_LIBRARY). ${XGBOOST_INSTALL_HINT}`,
      );
    }
    return libraryPath;
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new XgboostNotInstalledError(
      `XGBoost shared library not found (looked in ${candidates.join(', ')}). ${XGBOOST_INSTALL_HINT}`,
    );
  }
  return found;
}

/** The library a training uses and the version it must be: what its worker is started with. */
export interface TrainingLibrary {
  readonly libraryPath: string;
  readonly expectedVersion: string | null;
}

/**
 * The library for a training: the given path or the local settings' (XGBOOST_LIBRARY), else the usual locations; the
 * given version or {@link DEFAULT_EXPECTED_XGBOOST} (`null` accepts any).
 * @throws XgboostNotInstalledError when the library cannot be found
 */
export function resolveTrainingLibrary(options: { readonly libraryPath?: string | undefined; readonly expectedVersion?: string | null | undefined }): TrainingLibrary {
  return {
    libraryPath: resolveXgboostLibrary(options.libraryPath ?? loadLocalSettings().xgboostLibrary),
    expectedVersion: options.expectedVersion === undefined ? DEFAULT_EXPECTED_XGBOOST : options.expectedVersion,
  };
}
