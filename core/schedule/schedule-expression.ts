import { Cron } from 'croner';

/**
 * EventBridge Scheduler's recurring expressions, read the way Scheduler reads them (EventBridge Scheduler user guide,
 * "Schedule types on EventBridge Scheduler"; API reference, CreateSchedule `ScheduleExpression`):
 *
 * - `rate(value unit)`: "a value as a positive integer, and a unit with the following options: minute | minutes | hour |
 *   hours | day | days" (locally the first firing comes one period after `sluice schedule` starts).
 * - `cron(minutes hours day_of_month month day_of_week year)`: six fields; day-of-week is 1-7 or SUN-SAT (1 is Sunday);
 *   wildcards `, - * /` everywhere, `? L W` in day-of-month, `? L #` in day-of-week; "You can't use * in both the
 *   Day-of-month and Day-of-week fields. If you use it in one, you must use ? in the other" (EventBridge user guide,
 *   "Cron expressions").
 *
 * The cron arithmetic is croner's (a seven-field pattern with a seconds field of 0 in front, Quartz weekday numbering,
 * `0/15`-style steps allowed, time zones through Intl), not ours. `at(...)` one-time schedules are not pipeline
 * schedules and are refused.
 */
export type ScheduleExpression =
  | { kind: 'rate'; value: number; unit: 'minute' | 'hour' | 'day'; periodMs: number }
  | { kind: 'cron'; fields: readonly string[]; pattern: string };

/** An expression Scheduler would refuse, or one we cannot evaluate locally. */
export class InvalidScheduleExpressionError extends Error {
  public override readonly name = 'InvalidScheduleExpressionError';
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Parses `rate(...)` or `cron(...)`; throws InvalidScheduleExpressionError naming what is wrong. */
export function parseScheduleExpression(expression: string): ScheduleExpression {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    const unit = (rate[2] ?? 'minute').replace(/s$/, '') as keyof typeof UNIT_MS;
    if (!Number.isSafeInteger(value) || value < 1) throw new InvalidScheduleExpressionError(`${expression}: the rate must be a positive integer`);
    // Scheduler takes "1 minute" but "5 minutes": the singular unit goes with 1 only.
    if ((value === 1) !== !(rate[2] ?? '').endsWith('s')) throw new InvalidScheduleExpressionError(`${expression}: write "rate(1 ${unit})" or "rate(${value === 1 ? 2 : value} ${unit}s)"`);
    return { kind: 'rate', value, unit, periodMs: value * UNIT_MS[unit] };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) throw new InvalidScheduleExpressionError(`${expression}: expected rate(value unit) with a unit of minutes, hours or days, or cron(minutes hours day-of-month month day-of-week year)`);
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) throw new InvalidScheduleExpressionError(`${expression}: a cron expression has six fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`);
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new InvalidScheduleExpressionError(`${expression}: one of day-of-month and day-of-week must be "?" (and only one)`);
  }
  const pattern = `0 ${fields.join(' ')}`;
  try {
    cronOf(pattern, 'UTC');
  } catch (error) {
    throw new InvalidScheduleExpressionError(`${expression}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { kind: 'cron', fields, pattern };
}

/**
 * The first firing strictly after `after`, in `timezone` (IANA). A rate fires one period after it started (`since`),
 * then every period; a cron at its next matching minute. Undefined when a cron's years are all past.
 */
export function nextFiring(expression: ScheduleExpression, timezone: string, after: Date, since: Date = after): Date | undefined {
  if (expression.kind === 'rate') {
    const periods = Math.floor((after.getTime() - since.getTime()) / expression.periodMs) + 1;
    return new Date(since.getTime() + periods * expression.periodMs);
  }
  return cronOf(expression.pattern, timezone).nextRun(after) ?? undefined;
}

/** Whether `timezone` is an IANA zone this runtime knows (Intl rejects the others). */
export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function cronOf(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { mode: '7-part', alternativeWeekdays: true, sloppyRanges: true, paused: true, timezone });
}
