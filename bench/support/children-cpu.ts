import { readFileSync } from 'node:fs';

/**
 * CPU seconds of this process's children that have ended and been waited for (`cutime` + `cstime`, fields 16 and 17
 * of /proc/self/stat, proc(5), in clock ticks of sysconf(_SC_CLK_TCK), which is Linux's USER_HZ, 100: `getconf
 * CLK_TCK`); undefined without /proc (not Linux).
 */
export function endedChildrenCpuSeconds(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // The fields after the command name (in parentheses, which may hold spaces): state is the first, cutime the 14th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) ? ticks / 100 : undefined;
}
