import type { Migration } from '../migrations';

/**
 * The request budgets' table (rate-limiter-flexible's PostgreSQL store; the columns are the ones that library
 * reads and writes). The library can create it itself, but its `CREATE TABLE IF NOT EXISTS` races when several
 * limiters or instances start at once on a new database ("relation already exists"); made here, it is created once,
 * under the migrations' lock, and the limiters are told it exists. `IF NOT EXISTS`: a database from before this
 * migration already holds the table the library made.
 */
export const rateLimits009: Migration = {
  id: '009_rate_limits',
  sql: `
CREATE TABLE IF NOT EXISTS rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
`,
};
