import { InvalidScheduleExpressionError, nextFiring, parseScheduleExpression } from '../../../core/schedule/schedule-expression.js';

describe('parseScheduleExpression', () => {
  describe('rate expressions', () => {
    it.each([
      ['rate(1 minute)', 60_000],
      ['rate(5 minutes)', 300_000],
      ['rate(2 hours)', 7_200_000],
      ['rate(1 day)', 86_400_000],
    ])('reads %s as a period of %d ms when written as Scheduler takes it', (expression, periodMs) => {
      // Act
      const parsed = parseScheduleExpression(expression);

      // Assess
      expect(parsed).toMatchObject({ kind: 'rate', periodMs });
    });

    it.each(['rate(1 second)', 'rate(0 minutes)', 'rate(5 minute)', 'rate(1 minutes)', 'rate(1.5 hours)'])('refuses %s when Scheduler would', (expression) => {
      // Act
      const parsing = () => parseScheduleExpression(expression);

      // Assess
      expect(parsing).toThrow(InvalidScheduleExpressionError);
    });
  });

  describe('cron expressions', () => {
    it.each(['cron(0 3 ? * MON *)', 'cron(0/15 * * * ? *)', 'cron(0 8 1 * ? *)', 'cron(0 8 ? * 2#1 *)', 'cron(30 9 LW * ? 2026-2030)'])('accepts %s when it has six fields and one "?"', (expression) => {
      // Act
      const parsed = parseScheduleExpression(expression);

      // Assess
      expect(parsed.kind).toBe('cron');
    });

    it.each([
      ['cron(0 3 * * MON)', /six fields/],
      ['cron(0 3 * * * *)', /"\?"/],
      ['cron(0 3 ? * ? *)', /"\?"/],
      ['cron(0 25 ? * MON *)', /cron\(0 25/],
      ['at(2026-12-01T00:00:00)', /expected rate/],
    ])('refuses %s naming the problem when Scheduler would', (expression, problem) => {
      // Act
      const parsing = () => parseScheduleExpression(expression);

      // Assess
      expect(parsing).toThrow(problem);
    });
  });
});

describe('nextFiring', () => {
  describe('a cron in a time zone', () => {
    it('fires at 03:00 Paris time on the next Monday when Paris is UTC+1', () => {
      // Prepare
      const expression = parseScheduleExpression('cron(0 3 ? * MON *)');

      // Act
      const next = nextFiring(expression, 'Europe/Paris', new Date('2026-11-30T12:00:00Z'));

      // Assess: Monday 30 November has passed 03:00 Paris; Monday 7 December, 03:00 CET is 02:00 UTC.
      expect(next?.toISOString()).toBe('2026-12-07T02:00:00.000Z');
    });

    it('reads day-of-week 2 as Monday, as Scheduler numbers days from Sunday = 1', () => {
      // Prepare
      const expression = parseScheduleExpression('cron(0 8 ? * 2 *)');

      // Act
      const next = nextFiring(expression, 'UTC', new Date('2026-12-01T00:00:00Z'));

      // Assess
      expect(next?.toISOString()).toBe('2026-12-07T08:00:00.000Z');
    });
  });

  describe('a rate', () => {
    it('fires one period after it started, then every period, when time passes', () => {
      // Prepare
      const expression = parseScheduleExpression('rate(5 minutes)');
      const since = new Date('2026-11-30T00:00:00Z');

      // Act
      const first = nextFiring(expression, 'UTC', since, since);
      const later = nextFiring(expression, 'UTC', new Date('2026-11-30T00:07:00Z'), since);

      // Assess
      expect(first?.toISOString()).toBe('2026-11-30T00:05:00.000Z');
      expect(later?.toISOString()).toBe('2026-11-30T00:10:00.000Z');
    });
  });
});
