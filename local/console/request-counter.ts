import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What an endpoint server records of its traffic: `<endpoint folder>/requests.json`. */
export interface RequestCounts {
  /** `POST /invocations` answered with a success status since `since`. */
  readonly answered: number;
  /** When the server started counting (its start). */
  readonly since: string;
  readonly updatedAt: string;
}

/** `<endpoint folder>/requests.json`. */
export function requestCountsFile(endpointDir: string): string {
  return path.join(endpointDir, 'requests.json');
}

/** How often at most the count is written: a server under load answers thousands of requests a second. */
export const REQUEST_COUNT_FLUSH_MS = 1000;

/**
 * Counts an endpoint server's answered requests and writes the count to its folder at most once per
 * {@link REQUEST_COUNT_FLUSH_MS} (and on `flush`), so `sluice console` shows requests answered without asking the
 * server. One writer per folder: the endpoint's one server.
 */
export class RequestCounter {
  private answered = 0;
  private readonly since = new Date().toISOString();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  public constructor(private readonly endpointDir: string) {}

  /** Counts one answered request; schedules a write. */
  public answer(): void {
    this.answered += 1;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, REQUEST_COUNT_FLUSH_MS);
  }

  /** Writes the count now (the server is stopping, or a test waits for it). A write error is not the server's. */
  public flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const body: RequestCounts = { answered: this.answered, since: this.since, updatedAt: new Date().toISOString() };
    const file = requestCountsFile(this.endpointDir);
    this.writing = this.writing.then(async () => {
      await writeFile(`${file}.partial`, JSON.stringify(body));
      await rename(`${file}.partial`, file);
    }).catch(() => undefined);
    return this.writing;
  }
}

/** An endpoint's recorded counts, or undefined when its server never answered one. */
export async function readRequestCounts(endpointDir: string): Promise<RequestCounts | undefined> {
  try {
    return JSON.parse(await readFile(requestCountsFile(endpointDir), 'utf8')) as RequestCounts;
  } catch {
    return undefined;
  }
}
