/**
 * The hash-chained audit trail in the store (migration 005). `append` extends the chain under a row lock on its head,
 * so concurrent writers on PostgreSQL (any number of app instances) and PGlite's single connection alike produce one
 * chain in one order. `together` runs an action and its audit row in one transaction: if the row cannot be written,
 * the action is rolled back — nothing happens unrecorded. `verify` recomputes the chain and names the first bad row.
 */
import { AppError, isAppError } from '../errors';
import type { Db } from '../store/db';
import type { AuditRecord } from './audit-record';
import { GENESIS_HASH, chainHash, checkedRecord } from './audit-record';

export interface AuditRow {
  seq: number;
  recordedAt: string;
  record: AuditRecord;
  prevHash: string;
  hash: string;
}

export type ChainProblem = 'edited' | 'missing' | 'relinked' | 'inserted';

export interface ChainReport {
  ok: boolean;
  rows: number;
  /** The chain's end as the head row records it. */
  head: { seq: number; hash: string };
  /** The first row that does not verify, and how. */
  firstBad?: { seq: number; problem: ChainProblem };
}

interface EventRow {
  seq: string;
  recorded_at: Date | string;
  action: string;
  outcome: string;
  tenant_id: string | null;
  actor: string | null;
  patient_id: string | null;
  record: AuditRecord | string;
  prev_hash: string;
  hash: string;
}

const PAGE = 1000;

const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();
const recordOf = (row: EventRow): AuditRecord => (typeof row.record === 'string' ? (JSON.parse(row.record) as AuditRecord) : row.record);

/** The queryable columns must say what the hashed record says (an edit of a column alone is an edit too). */
function columnsMatch(row: EventRow, record: AuditRecord): boolean {
  return row.action === record.action && row.outcome === record.outcome && (row.tenant_id ?? undefined) === record.tenantId
    && (row.actor ?? undefined) === record.actor && (row.patient_id ?? undefined) === record.patientId;
}

export class AuditTrail {
  private readonly now: () => Date;

  constructor(private readonly db: Db, options: { now?: () => Date } = {}) {
    this.now = options.now ?? ((): Date => new Date());
  }

  /** Appends one row; on `db` when given (a transaction the caller holds), else in a transaction of its own. */
  async append(record: AuditRecord, db: Db = this.db): Promise<AuditRow> {
    checkedRecord(record);
    return db.transaction((tx) => this.appendOn(tx, record)).catch((error: unknown) => {
      // A database that is down or restarting is waited out (503), not reported as a fault of the app (500).
      const code = isAppError(error) && error.code === 'service_unavailable' ? 'service_unavailable' : 'internal';
      throw new AppError(code, 'The app could not record this action in its audit trail, so it was not done.', {
        hint: 'Nothing entered was lost. Try again in a moment; if it keeps happening, tell your IT team.',
        details: { reason: 'audit_unavailable' },
        cause: error,
      });
    });
  }

  private async appendOn(tx: Db, record: AuditRecord): Promise<AuditRow> {
    const [head] = await tx.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM audit_head WHERE id = 1 FOR UPDATE');
    if (head === undefined) {
      throw new Error('The audit trail has no head row (migration 005 not applied)');
    }
    const seq = Number(head.seq) + 1;
    const recordedAt = this.now().toISOString();
    const hash = chainHash(head.hash, seq, recordedAt, record);
    await tx.query(
      `INSERT INTO audit_events (seq, recorded_at, action, outcome, tenant_id, actor, patient_id, record, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [seq, recordedAt, record.action, record.outcome, record.tenantId ?? null, record.actor ?? null, record.patientId ?? null, JSON.stringify(record), head.hash, hash],
    );
    await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [seq, hash]);
    return { seq, recordedAt, record, prevHash: head.hash, hash };
  }

  /**
   * Runs `work` and appends the audit row it produces in one transaction. `work` gets the transaction's handle and
   * must do its writes on it; the record may depend on the result (the id of what was created).
   */
  async together<T>(work: (tx: Db) => Promise<T>, recordOf: (result: T) => AuditRecord): Promise<T> {
    return this.db.transaction(async (tx) => {
      const result = await work(tx);
      await this.append(recordOf(result), tx);
      return result;
    });
  }

  /** Rows in chain order, `afterSeq` exclusive (for paging and export). */
  async rows(afterSeq: number, limit: number, range: { from?: Date; to?: Date } = {}): Promise<AuditRow[]> {
    const rows = await this.db.query<EventRow>(
      `SELECT seq::text AS seq, recorded_at, action, outcome, tenant_id, actor, patient_id, record, prev_hash, hash
       FROM audit_events WHERE seq > $1 AND ($2::timestamptz IS NULL OR recorded_at >= $2) AND ($3::timestamptz IS NULL OR recorded_at < $3)
       ORDER BY audit_events.seq LIMIT $4`,
      [afterSeq, range.from?.toISOString() ?? null, range.to?.toISOString() ?? null, limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), recordedAt: iso(r.recorded_at), record: recordOf(r), prevHash: r.prev_hash, hash: r.hash }));
  }

  async verify(): Promise<ChainReport> {
    const [headRow] = await this.db.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM audit_head WHERE id = 1');
    const head = { seq: Number(headRow?.seq ?? 0), hash: headRow?.hash ?? GENESIS_HASH };
    let expected = 1;
    let prev = GENESIS_HASH;
    let count = 0;
    const bad = (seq: number, problem: ChainProblem): ChainReport => ({ ok: false, rows: count, head, firstBad: { seq, problem } });
    for (;;) {
      const page = await this.db.query<EventRow>(
        `SELECT seq::text AS seq, recorded_at, action, outcome, tenant_id, actor, patient_id, record, prev_hash, hash
         FROM audit_events WHERE seq >= $1 ORDER BY audit_events.seq LIMIT $2`,
        [expected, PAGE],
      );
      for (const row of page) {
        const seq = Number(row.seq);
        if (seq !== expected) {
          return bad(expected, 'missing');
        }
        const record = recordOf(row);
        if (chainHash(row.prev_hash, seq, iso(row.recorded_at), record) !== row.hash || !columnsMatch(row, record)) {
          return bad(seq, 'edited');
        }
        if (row.prev_hash !== prev) {
          return bad(seq, 'relinked');
        }
        if (seq > head.seq) {
          return bad(seq, 'inserted');
        }
        prev = row.hash;
        expected += 1;
        count += 1;
      }
      if (page.length < PAGE) {
        break;
      }
    }
    if (count < head.seq) {
      return bad(count + 1, 'missing');
    }
    if (prev !== head.hash) {
      return bad(count, 'relinked');
    }
    return { ok: true, rows: count, head };
  }
}
