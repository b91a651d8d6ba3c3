/** A method that answers with a promise: the only kind a lazily built adapter can stand behind. */
type AsyncMethod = (...args: never[]) => Promise<unknown>;

/** The port's methods, each listed once (a `Record` over the port's keys: the compiler checks none is missing). */
export type PortMethods<T> = { readonly [K in keyof T]-?: true };

/**
 * A port whose adapter is built (and its module, with the engine it needs, loaded) on the first call of any of its
 * methods, then reused. A local run binds every Task state up front, but an engine such as XGBoost (koffi, tar) is
 * only needed by the states that use it: a run that fails before training never loads it, and other commands never
 * do. Every method of the port must return a promise, so a call can wait for the load.
 *
 * @example
 * const trainer = lazyPort<Trainer>(async () => new (await import('../adapters/local-trainer.js')).LocalTrainer(...), {
 *   startTraining: true, trainingStatus: true, startTuning: true, tuningStatus: true, stopTraining: true, stopTuning: true,
 * });
 */
export function lazyPort<T extends { [K in keyof T]: AsyncMethod }>(build: () => Promise<T>, methods: PortMethods<T>): T {
  let adapter: Promise<T> | undefined;
  const port = {} as Record<keyof T, (...args: never[]) => Promise<unknown>>;
  for (const name of Object.keys(methods) as (keyof T)[]) {
    port[name] = async (...args) => {
      // A failed load is not kept: the next call tries again rather than repeating a stale error forever.
      adapter ??= build().catch((error: unknown) => {
        adapter = undefined;
        throw error;
      });
      const target = await adapter;
      return (target[name] as (...a: never[]) => Promise<unknown>).apply(target, args);
    };
  }
  return port as unknown as T;
}
