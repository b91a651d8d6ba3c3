import { loadRuntimeConfig } from '../../../core/config/runtime-config.js';

/** The size deploy/lambda-memory.md chose for the DuckDB function, from `npm run bench -- ingest-memory`. */
const CHOSEN_MEMORY_MB = 1769;
/**
 * What the function needs besides DuckDB's buffer pool: Node, the SDK, the hash stream and DuckDB's own allocations
 * outside its limit. The ingest bench's peak RSS less its DuckDB memory limit stayed under 400 MB; 512 MB leaves room.
 */
const NODE_HEADROOM_MB = 512;

type DeployedFunction = { memorySize?: unknown; ephemeralStorageSize?: unknown; environment?: Record<string, unknown> };

/** deploy/functions.js's `functions`, as serverless.yml loads them for stage `dev` of service `sluice`. */
async function deployedFunctions(): Promise<Record<string, DeployedFunction>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deploy table is CommonJS, as serverless.yml loads it.
  const table = require('../../../deploy/functions.js') as { functions: (context: { resolveVariable: (name: string) => Promise<string> }) => Promise<Record<string, DeployedFunction>> };
  const variables: Record<string, string> = { 'self:service': 'sluice', 'sls:stage': 'dev' };
  return table.functions({ resolveVariable: async (name: string) => variables[name] ?? '' });
}

function megabytes(limit: string): number {
  const match = /^(\d+)MB$/.exec(limit);
  if (!match) throw new Error(`unexpected DuckDB memory limit ${limit}`);
  return Number(match[1]);
}

describe('DuckDB function memory', () => {
  describe('the deployed ValidateAndPartition function', () => {
    it('has the size deploy/lambda-memory.md chose when the deploy table is loaded', async () => {
      // Act
      const functions = await deployedFunctions();

      // Assess
      expect(functions.validateAndPartition?.memorySize).toBe(CHOSEN_MEMORY_MB);
    });

    it('fits DuckDB memory limit and Node inside the function, with one thread per vCPU it buys, when the function reads its size', async () => {
      // Prepare
      const fn = (await deployedFunctions()).validateAndPartition;
      const environment = Object.fromEntries(Object.entries(fn?.environment ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;

      // Act
      const { duckdb } = loadRuntimeConfig({ ...environment, LAKE_BUCKET: 'lake', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn?.memorySize) });

      // Assess
      expect(megabytes(duckdb.memoryLimit) + NODE_HEADROOM_MB).toBeLessThanOrEqual(CHOSEN_MEMORY_MB);
      // 1,769 MB buys one vCPU's worth of CPU time (Lambda developer guide, "Configure Lambda function memory").
      expect(duckdb.threads).toBeLessThanOrEqual(Math.max(1, Math.round(CHOSEN_MEMORY_MB / 1769)));
    });
  });
});
