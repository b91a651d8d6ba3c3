/** Clients that keep calling an endpoint while something changes under it, for tests that must not sleep. */

/** One 200 answer, with when it arrived (`performance.now()`). */
export interface ClientAnswer {
  readonly at: number;
  readonly text: string;
}

/** How the clients call. */
export interface ContinuousClientsOptions {
  /** The endpoint's `/invocations` URL. */
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** How many clients call at once, each one request after the other. */
  readonly clients: number;
  /**
   * A backstop, not a pace: each client stops after this many requests even if nobody stops it (so a test that
   * forgets to, or waits for answers that never come, still ends), and waiting for answers then fails.
   */
  readonly maxRequestsPerClient: number;
}

/** Clients calling in a loop until stopped; tests wait for answers instead of sleeping. */
export interface ContinuousClients {
  /** Every 200 answer, in the order they arrived. */
  readonly answers: readonly ClientAnswer[];
  /** Every other response (`<status>: <body>`) and every request that threw. */
  readonly failures: readonly string[];
  /**
   * Resolves once `count` answers have arrived after `since` (a `performance.now()` time); rejects when the clients
   * have used up their requests first.
   */
  answeredAfter(since: number, count: number): Promise<void>;
  /** Lets every client finish the request it has in flight, then resolves. */
  stop(): Promise<void>;
}

interface Waiter {
  readonly since: number;
  readonly count: number;
  seen: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Starts `options.clients` clients posting `options.body` to `options.url` in a loop. */
export function startContinuousClients(options: ContinuousClientsOptions): ContinuousClients {
  const answers: ClientAnswer[] = [];
  const failures: string[] = [];
  const waiters = new Set<Waiter>();
  let stopping = false;
  let finished = false;

  const record = (answer: ClientAnswer): void => {
    answers.push(answer);
    for (const waiter of waiters) {
      if (answer.at > waiter.since) waiter.seen += 1;
      if (waiter.seen >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const client = async (): Promise<void> => {
    for (let sent = 0; !stopping && sent < options.maxRequestsPerClient; sent += 1) {
      try {
        const response = await fetch(options.url, { method: 'POST', headers: options.headers, body: options.body });
        const text = await response.text();
        if (response.status === 200) record({ at: performance.now(), text });
        else failures.push(`${response.status}: ${text}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };

  const stoppedBefore = (count: number, since: number): Error =>
    new Error(`the clients stopped with ${answers.length} answers and ${failures.length} failures, before ${count} answers after ${since}`);
  const running = Promise.all(Array.from({ length: options.clients }, client)).then(() => {
    finished = true;
    for (const waiter of waiters) waiter.reject(stoppedBefore(waiter.count, waiter.since));
    waiters.clear();
  });

  return {
    answers,
    failures,
    answeredAfter(since, count) {
      const seen = answers.filter((answer) => answer.at > since).length;
      if (seen >= count) return Promise.resolve();
      if (finished) return Promise.reject(stoppedBefore(count, since));
      return new Promise<void>((resolve, reject) => {
        waiters.add({ since, count, seen, resolve, reject });
      });
    },
    async stop() {
      stopping = true;
      await running;
    },
  };
}
