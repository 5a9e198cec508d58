import crypto from 'node:crypto';
import type { PatientContext } from '../chart/patient-context';
import type { Db } from '../store/db';
import type { SealedBox } from '../store/sealed-box';

/**
 * The chart as a launch read it, kept with the launch (migration 004): any app instance can serve the launch's next
 * request from it, and it is deleted with the launch. The context is sealed; the read time and hash are not PHI.
 */
export interface ChartSnapshot {
  context: PatientContext;
  /** When the read wave finished (the server's clock). */
  readAt: Date;
  /** SHA-256 (hex) of the context's canonical JSON: which chart a handout or a note was built from. */
  sha256: string;
}

/** Which read of the chart a discussion's handout and note were built from. */
export interface ChartReadRef {
  /** ISO 8601, when the read wave finished. */
  readAt: string;
  /** SHA-256 (hex) of the PatientContext's canonical JSON. */
  sha256: string;
}

interface SnapshotRow {
  read_at: Date;
  sha256: string;
  context_sealed: string;
}

/** Additional authenticated data: a snapshot opens only in the row of its launch. */
export const sealContext = (launchId: string): string => `chart_snapshots.context:${launchId}`;

/** JSON with object keys sorted at every depth, so the same chart always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : Number(a > b)));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function snapshotHash(context: PatientContext): string {
  return crypto.createHash('sha256').update(canonicalJson(context)).digest('hex');
}

export class ChartSnapshotStore {
  constructor(
    private readonly db: Db,
    private readonly box: SealedBox,
  ) {}

  /** Records (or replaces) the launch's snapshot. A launch that has ended meanwhile stores nothing. */
  async save(launchId: string, context: PatientContext, readAt: Date): Promise<ChartSnapshot> {
    const snapshot: ChartSnapshot = { context, readAt, sha256: snapshotHash(context) };
    await this.db.query(
      `INSERT INTO chart_snapshots (launch_id, read_at, sha256, context_sealed)
       SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM launch_sessions WHERE launch_id = $1)
       ON CONFLICT (launch_id) DO UPDATE SET read_at = EXCLUDED.read_at, sha256 = EXCLUDED.sha256, context_sealed = EXCLUDED.context_sealed`,
      [launchId, readAt, snapshot.sha256, this.box.seal(context, sealContext(launchId))],
    );
    return snapshot;
  }

  async get(launchId: string): Promise<ChartSnapshot | undefined> {
    const rows = await this.db.query<SnapshotRow>('SELECT read_at, sha256, context_sealed FROM chart_snapshots WHERE launch_id = $1', [launchId]);
    const row = rows[0];
    if (row === undefined) {
      return undefined;
    }
    return { context: this.box.open(row.context_sealed, sealContext(launchId)) as PatientContext, readAt: new Date(row.read_at), sha256: row.sha256 };
  }
}
