import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../local/cli/main.js';
import { ALIAS_BOMB_SPEC_YAML, SMALL_SPEC_YAML } from '../../support/spec-fixtures.js';

describe('sluice run', () => {
  describe('a pipeline spec with an error', () => {
    let stderr: string[];

    beforeEach(() => {
      stderr = [];
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        stderr.push(String(chunk));
        return true;
      });
      jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    });

    afterEach(() => jest.restoreAllMocks());

    it.each([
      ['a YAML alias bomb', ALIAS_BOMB_SPEC_YAML, 'not valid YAML:\n  - Excessive alias count'],
      ['YAML that does not parse', 'name: [unclosed', 'not valid YAML'],
      ['a column of an unknown type', SMALL_SPEC_YAML.replace('type: double', 'type: money'), 'invalid pipeline spec'],
    ])('exits 1 naming the spec file and creates no lake when the spec holds %s', async (_title, yaml, problem) => {
      // Prepare
      const dir = await mkdtemp(path.join(tmpdir(), 'sluice-bad-spec-'));
      const spec = path.join(dir, 'pipeline.yml');
      await writeFile(spec, yaml);
      const data = path.join(dir, 'orders.csv');
      await writeFile(data, 'id,status,amount,code\n1,open,10,ABC\n');
      const lake = path.join(dir, 'lake');

      // Act
      const code = await main(['run', data, '--pipeline', dir, '--lake', lake]);

      // Assess
      expect(code).toBe(1);
      expect(stderr.join('')).toContain(`sluice: PipelineSpecError: ${spec}: ${problem}`);
      expect(existsSync(lake)).toBe(false);
    });
  });
});
