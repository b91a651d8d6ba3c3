import { SFNClient, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { ingestDeps } from '../../aws/wiring/ingest.js';
import { loadRuntimeConfig } from '../../core/config/runtime-config.js';
import { parseTaskArgs, runIngestTask } from './ingest-task.js';

/**
 * The large-file route's container entry point (deploy/ingest-task/Dockerfile): the ValidateAndPartitionOnFargate
 * state starts it with `ecs:runTask.waitForTaskToken`, passing the task token and the state input on the command line
 * (`Overrides.ContainerOverrides[].Command`; Step Functions developer guide, "Run Amazon ECS or Fargate tasks with Step
 * Functions", "Passing data to an Amazon ECS task"). It runs the same step, with the same S3 and DuckDB adapters and
 * environment, as the ValidateAndPartition Lambda function, without Lambda's 15 minutes and 10 GB of /tmp, and answers
 * with SendTaskSuccess / SendTaskFailure (the task role may call them, deploy/ecs.js).
 */
export async function main(argv: readonly string[]): Promise<void> {
  const args = parseTaskArgs(argv);
  const taskToken = args.taskToken;
  if (taskToken === undefined) throw new Error('--task-token is required: the state waits for this task to answer');
  const sfn = new SFNClient({});
  await runIngestTask(args, ingestDeps(loadRuntimeConfig()), {
    success: async (output) => {
      await sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
    },
    failure: async (error, cause) => {
      await sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }));
    },
    heartbeat: async () => {
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    },
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    // Nothing could be answered (no token, no credentials): the state's heartbeat timeout fails it.
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
