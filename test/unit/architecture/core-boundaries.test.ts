import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../../..');
// The project's own flat config, loaded here because jest's module system cannot run ESLint's dynamic import of it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const projectConfig = require('../../../eslint.config.js') as ESLint.Options['overrideConfig'];

/** Lints `code` as if it were the file at `relativePath`, with the project's own configuration. */
async function restrictedImports(relativePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: projectConfig ?? [] });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, relativePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('core import boundaries', () => {
  describe('a file under core/', () => {
    it.each([
      ["import { S3Client } from '@aws-sdk/client-s3';", '@aws-sdk/client-s3'],
      ["import middy from '@middy/core';", '@middy/core'],
      ["import { Logger } from '@aws-lambda-powertools/logger';", '@aws-lambda-powertools/logger'],
      ["import { StateMachine } from 'aws-local-stepfunctions';", 'aws-local-stepfunctions'],
      ["import { S3ObjectStore } from '../../aws/adapters/s3-object-store.js';", '../../aws/adapters/s3-object-store.js'],
      ["import { localDeps } from '../../local/runtime/local-deps.js';", '../../local/runtime/local-deps.js'],
      ["import { handler } from '../../functions/deploy/handler.js';", '../../functions/deploy/handler.js'],
    ])('fails lint when it imports %s', async (statement, specifier) => {
      // Prepare
      const code = `${statement}\nexport const used = [${statement.match(/import \{? ?(\w+)/)?.[1] ?? 'x'}];\n`;

      // Act
      const messages = await restrictedImports('core/steps/example.ts', code);

      // Assess
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain(`'${specifier}'`);
    });

    it('passes lint when it imports a port, another core module or zod', async () => {
      // Prepare
      const code = [
        "import * as z from 'zod';",
        "import type { ObjectStore } from '../ports/object-store.js';",
        "import { lakeLayout } from '../run/lake-layout.js';",
        'export const used: [typeof z, ObjectStore | undefined, typeof lakeLayout] = [z, undefined, lakeLayout];',
        '',
      ].join('\n');

      // Act
      const messages = await restrictedImports('core/steps/example.ts', code);

      // Assess
      expect(messages).toEqual([]);
    });
  });

  describe('a file outside core/', () => {
    it('may import the SDK and the adapters when it is an AWS adapter or wiring', async () => {
      // Prepare
      const code = "import { S3Client } from '@aws-sdk/client-s3';\nexport const used = [S3Client];\n";

      // Act
      const messages = await restrictedImports('aws/adapters/example.ts', code);

      // Assess
      expect(messages).toEqual([]);
    });
  });
});
