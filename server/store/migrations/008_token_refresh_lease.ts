import type { Migration } from '../migrations';

/**
 * Token refresh across app instances: a refresh is claimed on the launch's row (a short lease, so a crashed
 * instance's claim runs out) and may not start within a minute of the last attempt (Oracle Health refuses faster
 * refreshes); the tokens carry a version, so a refresh stores its result only over the tokens it started from
 * (compare-and-set: a rotated refresh token is never overwritten by an older one).
 */
export const tokenRefreshLease008: Migration = {
  id: '008_token_refresh_lease',
  sql: `
ALTER TABLE launch_sessions ADD COLUMN tokens_version integer NOT NULL DEFAULT 0;
ALTER TABLE launch_sessions ADD COLUMN refresh_lease_until timestamptz;
ALTER TABLE launch_sessions ADD COLUMN refresh_attempted_at timestamptz;
`,
};
