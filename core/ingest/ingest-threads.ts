import { open } from 'node:fs/promises';

/**
 * Bytes of a CSV file one DuckDB scanner reads: DuckDB splits a CSV scan into ranges of this size, one per thread at a
 * time (`BYTES_PER_THREAD = 8000000`, "Number of bytes each thread will consume", DuckDB's csv_scanner
 * scanner_boundary.hpp). JSON Lines are read by the same CSV reader (core/ingest/ingest-sql.ts, `jsonLinesSql`).
 */
export const CSV_BYTES_PER_THREAD = 8_000_000;

/**
 * How many threads the ingest's DuckDB gets for a file of `bytes` as DuckDB reads them (uncompressed): one per full
 * scanner range, at least one, at most `limit`. A file under two ranges is read by one scanner whatever the setting,
 * and its table is a fraction of one row group, so a second thread only waits and hands work over: measured here on
 * the churn contract (create, classify, curated copy, profile, close; loaded 2-core machine), 10,000 rows (1.4 MB) took
 * 195 ms of CPU on one thread against 297 ms on two, 100,000 rows (14 MB) 702-846 ms against 950-1,008 ms; from
 * 300,000 rows (42 MB) two threads took 1.28 s of wall time against 1.77 s on one.
 */
export function ingestThreads(bytes: number, limit: number): number {
  return Math.max(1, Math.min(limit, Math.floor(bytes / CSV_BYTES_PER_THREAD)));
}

/**
 * The size of a file as DuckDB will read it: its size, or for gzip at least its size and the uncompressed size its
 * trailer records (ISIZE, the last four bytes: "the size of the original (uncompressed) input data modulo 2^32",
 * RFC 1952 section 2.3.1; of the last member only when there are several, so never more than the real size).
 */
export async function readableBytes(file: string, compressed: boolean): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (!compressed || size < 18) return size;
    const trailer = Buffer.alloc(4);
    await handle.read(trailer, 0, 4, size - 4);
    return Math.max(size, trailer.readUInt32LE(0));
  } finally {
    await handle.close();
  }
}
