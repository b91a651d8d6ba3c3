import { escapeHtml } from './html.js';

/** The part of an ASL definition the graph reads. */
export interface WorkflowDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** How one state of a run went, as the local runner's step tracker records it (local/runtime/step-tracker.ts). */
export interface StepOutcome {
  readonly name: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CAUGHT';
  readonly durationMs: number;
  readonly retries: number;
  readonly error?: { readonly name: string; readonly message: string };
}

/** A state placed on the graph. */
export interface GraphNode {
  readonly name: string;
  readonly type: string;
  readonly layer: number;
  readonly column: number;
}

/** The states by layer (distance from `StartAt`) and the transitions between them. */
export interface WorkflowGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

/** Where a state may go next: `Next`, a Choice's rules and `Default`, a `Catch`'s targets. */
export function successors(state: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  const add = (value: unknown): void => {
    if (typeof value === 'string' && !out.includes(value)) out.push(value);
  };
  add(state['Next']);
  for (const list of [state['Choices'], state['Catch']]) {
    if (Array.isArray(list)) for (const rule of list as unknown[]) if (rule && typeof rule === 'object') add((rule as Record<string, unknown>)['Next']);
  }
  add(state['Default']);
  return out;
}

/**
 * Lays the definition's top-level states out in layers: a depth-first walk from `StartAt` finds the ways back (a poll
 * loop's Choice to its Wait), and each state's layer is its longest path from `StartAt` over the other transitions,
 * so the workflow reads top to bottom and ends at the bottom. A Map or Parallel state is one node; states no path
 * reaches are left out.
 */
export function layoutWorkflow(definition: WorkflowDefinition): WorkflowGraph {
  const edges: { from: string; to: string }[] = [];
  const back = new Set<string>();
  const order: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string): void => {
    state.set(name, 'open');
    for (const next of successors(definition.States[name] ?? {})) {
      if (!definition.States[next]) continue;
      edges.push({ from: name, to: next });
      if (state.get(next) === 'open') back.add(`${name}\u0000${next}`);
      else if (!state.has(next)) visit(next);
    }
    state.set(name, 'done');
    order.push(name);
  };
  visit(definition.StartAt);
  // Reverse post-order is a topological order of the forward transitions.
  const layerOf = new Map<string, number>();
  for (const name of order.reverse()) {
    const layer = layerOf.get(name) ?? 0;
    layerOf.set(name, layer);
    for (const next of successors(definition.States[name] ?? {})) {
      if (!definition.States[next] || back.has(`${name}\u0000${next}`)) continue;
      layerOf.set(next, Math.max(layerOf.get(next) ?? 0, layer + 1));
    }
  }
  const columns = new Map<number, number>();
  const nodes: GraphNode[] = [];
  for (const name of order) {
    const layer = layerOf.get(name) ?? 0;
    const column = columns.get(layer) ?? 0;
    columns.set(layer, column + 1);
    nodes.push({ name, type: String(definition.States[name]?.['Type'] ?? 'Task'), layer, column });
  }
  return { nodes, edges };
}

const NODE_W = 190;
const NODE_H = 34;
const GAP_X = 30;
const GAP_Y = 22;

/** Fill of a state by its outcome: not run, running, succeeded, failed. */
const FILL: Record<StepOutcome['status'] | 'none' | 'passed', string> = {
  none: '#f3f4f6',
  passed: '#e0f2fe',
  RUNNING: '#fef3c7',
  SUCCEEDED: '#d1fae5',
  FAILED: '#fee2e2',
  CAUGHT: '#fee2e2',
};

/**
 * The workflow as an SVG: each state a box with its outcome's colour and its duration (summed over a poll loop's
 * rounds and a Map's items), each transition a line. Choice, Wait and Succeed states the tracker does not time are
 * marked passed when a state after them ran.
 */
export function renderWorkflowSvg(definition: WorkflowDefinition, steps: readonly StepOutcome[]): string {
  const graph = layoutWorkflow(definition);
  const outcome = new Map<string, { status: StepOutcome['status']; durationMs: number; runs: number; retries: number }>();
  for (const step of steps) {
    // A Map item is recorded as `State[3]`: it counts towards its state.
    const name = step.name.replace(/\[\d+\]$/, '');
    const seen = outcome.get(name);
    const status = seen === undefined || step.status === 'FAILED' || step.status === 'RUNNING' ? step.status : seen.status;
    outcome.set(name, { status, durationMs: (seen?.durationMs ?? 0) + step.durationMs, runs: (seen?.runs ?? 0) + 1, retries: (seen?.retries ?? 0) + step.retries });
  }
  const maxLayer = Math.max(0, ...[...outcome.keys()].map((n) => graph.nodes.find((g) => g.name === n)?.layer ?? 0));
  const widest = Math.max(1, ...graph.nodes.map((n) => n.column + 1));
  const layers = Math.max(1, ...graph.nodes.map((n) => n.layer + 1));
  const width = widest * (NODE_W + GAP_X) + GAP_X;
  const height = layers * (NODE_H + GAP_Y) + GAP_Y;
  const at = new Map(graph.nodes.map((n) => [n.name, n]));
  const rowWidth = (layer: number): number => graph.nodes.filter((n) => n.layer === layer).length;
  const x = (n: GraphNode): number => (width - rowWidth(n.layer) * (NODE_W + GAP_X) + GAP_X) / 2 + n.column * (NODE_W + GAP_X);
  const y = (n: GraphNode): number => GAP_Y + n.layer * (NODE_H + GAP_Y);
  const lines = graph.edges.map(({ from, to }) => {
    const a = at.get(from);
    const b = at.get(to);
    if (!a || !b) return '';
    const x1 = x(a) + NODE_W / 2;
    const x2 = x(b) + NODE_W / 2;
    if (b.layer > a.layer) return `<line x1="${x1}" y1="${y(a) + NODE_H}" x2="${x2}" y2="${y(b)}" class="edge" marker-end="url(#arrow)"/>`;
    // A way back (a poll loop): a curve on the right side, so it does not cross the states in between.
    const x0 = x(a) + NODE_W;
    return `<path d="M${x0} ${y(a) + NODE_H / 2} C${x0 + 28} ${y(a) + NODE_H / 2} ${x(b) + NODE_W + 28} ${y(b) + NODE_H / 2} ${x(b) + NODE_W} ${y(b) + NODE_H / 2}" class="edge back" marker-end="url(#arrow)"/>`;
  });
  const boxes = graph.nodes.map((n) => {
    const o = outcome.get(n.name);
    const status = o?.status ?? (n.layer < maxLayer && ['Choice', 'Wait', 'Succeed', 'Pass'].includes(n.type) && steps.length > 0 ? 'passed' : 'none');
    const detail = o ? `${formatDuration(o.durationMs)}${o.runs > 1 ? ` ×${o.runs}` : ''}${o.retries > 0 ? ` ↻${o.retries}` : ''}` : n.type === 'Task' || n.type === 'Map' ? '' : n.type;
    const title = `${n.name} (${n.type})${o ? `: ${o.status}` : ''}`;
    return (
      `<g class="state" data-state="${escapeHtml(n.name)}" data-status="${status}"><title>${escapeHtml(title)}</title>` +
      `<rect x="${x(n)}" y="${y(n)}" width="${NODE_W}" height="${NODE_H}" rx="${n.type === 'Choice' ? 14 : 4}" fill="${FILL[status]}"/>` +
      `<text x="${x(n) + 8}" y="${y(n) + 21}" class="name">${escapeHtml(n.name)}</text>` +
      `<text x="${x(n) + NODE_W - 8}" y="${y(n) + 21}" class="detail" text-anchor="end">${escapeHtml(detail)}</text></g>`
    );
  });
  return (
    `<svg class="workflow" viewBox="0 0 ${width + 40} ${height}" width="${width + 40}" height="${height}" role="img" aria-label="workflow graph">` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#6b7280"/></marker></defs>' +
    `${lines.join('')}${boxes.join('')}</svg>`
  );
}

/** `850 ms`, `4.2 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}
