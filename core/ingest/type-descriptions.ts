import type { ColumnType } from '../spec/schema.js';

/**
 * How a value of each contract type is described when it is not one, in the user's words. Ingest's quarantine reasons
 * and the raw-record endpoint's 400s both say it this way. Its own module, free of zod, because the lean endpoint
 * process never loads the spec schema (a type-only import of schema.ts loads nothing at run time).
 */
export const TYPE_DESCRIPTIONS: Readonly<Record<ColumnType, string>> = {
  string: 'text',
  integer: 'an integer',
  double: 'a number',
  boolean: 'true or false',
  date: 'a date (YYYY-MM-DD)',
  timestamp: 'a timestamp (YYYY-MM-DD HH:MM:SS)',
};
