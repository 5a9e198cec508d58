import type { Migration } from '../migrations';

/**
 * The chart as one launch read it (server/chart-snapshot): one row per launch, read once right after the token and
 * again only when the clinician asks to refresh. The PatientContext is PHI, so it lives only in `context_sealed`
 * (AES-256-GCM, the launch id as context). It goes with its launch: ending or expiring the launch deletes it.
 */
export const chartSnapshots004: Migration = {
  id: '004_chart_snapshots',
  sql: `
CREATE TABLE chart_snapshots (
  launch_id text PRIMARY KEY REFERENCES launch_sessions (launch_id) ON DELETE CASCADE,
  read_at timestamptz NOT NULL,
  sha256 text NOT NULL,
  context_sealed text NOT NULL
);
`,
};
