import { createRequire } from 'node:module';
import path from 'node:path';

/** The local stand-in for the AWS account and region in ARNs. */
export const LOCAL_ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:sluice-local-';

/** An ASL definition after the pre-pass: plain JSON the local engine can run. */
export type ResolvedDefinition = Record<string, unknown> & { States: Record<string, Record<string, unknown>> };

/** A `${...}` or `Fn::GetAtt` in the definition that the pre-pass has no value for. */
export class UnresolvedDefinitionError extends Error {
  public override readonly name = 'UnresolvedDefinitionError';
}

/** Path of the generator of the workflow's definition: the hand-written ASL with each Task's retry policy filled in. */
export function definitionGeneratorPath(root: string): string {
  return path.join(root, 'deploy', 'state-machine.js');
}

/**
 * The definition deploy/state-machine.js generates for the project at `root`, the very one serverless.yml deploys.
 * The generator is plain CommonJS (serverless.yml loads it through `${file(...)}`), so it is required from the
 * project at run time rather than compiled into dist/.
 */
export function generatedDefinition(root: string): unknown {
  const generator: unknown = createRequire(__filename)(definitionGeneratorPath(root));
  const generate = generator !== null && typeof generator === 'object' ? (generator as Record<string, unknown>).stateMachineDefinition : undefined;
  if (typeof generate !== 'function') throw new UnresolvedDefinitionError(`${definitionGeneratorPath(root)} exports no stateMachineDefinition(root)`);
  return (generate as (projectRoot: string) => unknown)(root);
}

/**
 * Resolves what the Serverless Framework resolves at deploy time, so the local engine runs the very definition that
 * is deployed: `{"Fn::GetAtt": [XLambdaFunction, Arn]}` becomes a local ARN naming X, and `${name}` strings take
 * their value from `variables` (an unknown variable is an error, never left in place).
 */
export function resolveDefinition(definition: unknown, variables: Readonly<Record<string, string>> = {}): ResolvedDefinition {
  const visit = (node: unknown, where: string): unknown => {
    if (Array.isArray(node)) return node.map((child, i) => visit(child, `${where}[${i}]`));
    if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node);
      const getAtt = (node as Record<string, unknown>)['Fn::GetAtt'];
      if (entries.length === 1 && Array.isArray(getAtt)) {
        const [logicalId] = getAtt as unknown[];
        if (typeof logicalId !== 'string') throw new UnresolvedDefinitionError(`${where}: Fn::GetAtt needs a logical id`);
        return `${LOCAL_ARN_PREFIX}${logicalId.replace(/LambdaFunction$/, '')}`;
      }
      return Object.fromEntries(entries.map(([k, v]) => [k, visit(v, `${where}.${k}`)]));
    }
    if (typeof node === 'string' && node.includes('${')) {
      return node.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        const value = variables[name.trim()];
        if (value === undefined) throw new UnresolvedDefinitionError(`${where}: no local value for \${${name}}`);
        return value;
      });
    }
    return node;
  };
  return visit(definition, '$') as ResolvedDefinition;
}

/** Generates and resolves the workflow definition: the same retries and states as on AWS. */
export function loadDefinition(root: string, variables: Readonly<Record<string, string>> = {}): ResolvedDefinition {
  return resolveDefinition(generatedDefinition(root), variables);
}

/** Every Task state in a definition, Map and Parallel bodies included: each needs a local binding. */
export function taskStateNames(definition: { States: Record<string, Record<string, unknown>> }): string[] {
  const names: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') names.push(name);
    const processor = (state.ItemProcessor ?? state.Iterator) as ResolvedDefinition | undefined;
    if (processor) names.push(...taskStateNames(processor));
    const branches = state.Branches as ResolvedDefinition[] | undefined;
    for (const branch of branches ?? []) names.push(...taskStateNames(branch));
  }
  return names;
}
