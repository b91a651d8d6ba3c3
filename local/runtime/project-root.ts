import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The folder holding Sluice's package.json: found from this file whether it runs from sources or from dist/. */
export function projectRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'sluice') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find Sluice's package.json above ${start}`);
    dir = parent;
  }
}
