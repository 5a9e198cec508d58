/**
 * Every sealed column of the store, with the additional authenticated data each value is bound to, and the two
 * operations key rotation needs over them: counting values per key id, and re-sealing under the current key. The
 * contexts come from the modules that write the columns, so a value re-sealed here opens where the app reads it.
 */
import { sealContext as snapshotContext } from '../chart-snapshot/snapshot-store';
import { payloadContext as discussionPayloadContext } from '../consent/discussion-rows';
import { isAppError } from '../errors';
import type { Db } from '../store/db';
import { clientStateContext, tokensContext } from '../store/launch-session-rows';
import type { SealedBox } from '../store/sealed-box';
import { keyIdSql } from '../store/sealed-box';
import { detailContext, payloadContext as ledgerPayloadContext } from '../writeback/ledger-rows';

export interface SealedColumn {
  table: string;
  column: string;
  /** The primary key, which the context is made of. */
  key: string;
  context: (key: string) => string;
}

/** Identifiers below are constants, never input: they are the only names ever put into the SQL of this module. */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'pending_authorizations', column: 'client_state_sealed', key: 'state', context: clientStateContext },
  { table: 'launch_sessions', column: 'tokens_sealed', key: 'launch_id', context: tokensContext },
  { table: 'chart_snapshots', column: 'context_sealed', key: 'launch_id', context: snapshotContext },
  { table: 'discussions', column: 'payload_sealed', key: 'id', context: discussionPayloadContext },
  { table: 'write_intents', column: 'payload_sealed', key: 'id', context: ledgerPayloadContext },
  { table: 'write_intents', column: 'detail_sealed', key: 'id', context: detailContext },
];

export const columnName = (c: Pick<SealedColumn, 'table' | 'column'>): string => `${c.table}.${c.column}`;

/**
 * `*_sealed` columns of the schema this list does not know: a new sealed column must be added above, or re-sealing
 * would leave it under the old key and retiring that key would make it unreadable. The commands refuse to run then.
 */
export async function unlistedSealedColumns(db: Db): Promise<string[]> {
  const rows = await db.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND column_name LIKE '%\\_sealed' ORDER BY table_name, column_name`,
  );
  const known = new Set(SEALED_COLUMNS.map(columnName));
  return rows.map((r) => `${r.table_name}.${r.column_name}`).filter((name) => !known.has(name));
}

/** How many values of the column are sealed under each key id. */
export async function countByKey(db: Db, c: SealedColumn): Promise<Map<string, number>> {
  const rows = await db.query<{ key_id: string; n: number }>(
    `SELECT ${keyIdSql(c.column)} AS key_id, count(*)::int AS n FROM ${c.table} WHERE ${c.column} IS NOT NULL GROUP BY 1 ORDER BY 1`,
  );
  return new Map(rows.map((r) => [r.key_id, r.n]));
}

export interface ResealCounts {
  /** Now under the current key. */
  resealed: number;
  /** Changed by the app between read and write: left as the app wrote it (a re-run picks it up if still old). */
  changedMeanwhile: number;
  /** Could not be opened (a key not configured, or altered): left untouched, by key id or `malformed`/`tampered`. */
  failed: Map<string, number>;
}

const DEFAULT_BATCH = 200;

/**
 * Re-seals every value of the column that is not under the current key, `batch` rows per transaction. Each write is
 * a compare-and-set on the old sealed value, so a row the app updated meanwhile (new tokens, a saved answer) keeps
 * the app's value; values already under the current key are not touched, so a re-run does only what is left.
 */
export async function resealColumn(db: Db, box: SealedBox, c: SealedColumn, batch = DEFAULT_BATCH): Promise<ResealCounts> {
  const counts: ResealCounts = { resealed: 0, changedMeanwhile: 0, failed: new Map() };
  const select = `SELECT ${c.key}::text AS k, ${c.column} AS v FROM ${c.table}
    WHERE ${c.column} IS NOT NULL AND ${keyIdSql(c.column)} <> $1`;
  let after: string | undefined;
  for (;;) {
    // The cursor moves past rows that could not be opened, so they are reported once, not read forever.
    const rows = after === undefined
      ? await db.query<{ k: string; v: string }>(`${select} ORDER BY ${c.key} LIMIT $2`, [box.currentKeyId, batch])
      : await db.query<{ k: string; v: string }>(`${select} AND ${c.key} > $3 ORDER BY ${c.key} LIMIT $2`, [box.currentKeyId, batch, after]);
    if (rows.length === 0) {
      return counts;
    }
    await db.transaction(async (tx) => {
      for (const row of rows) {
        let resealed: string;
        try {
          resealed = box.seal(box.open(row.v, c.context(row.k)), c.context(row.k));
        } catch (error) {
          const reason = failureOf(error);
          counts.failed.set(reason, (counts.failed.get(reason) ?? 0) + 1);
          continue;
        }
        const updated = await tx.query(
          `UPDATE ${c.table} SET ${c.column} = $3 WHERE ${c.key} = $1 AND ${c.column} = $2 RETURNING 1 AS ok`,
          [row.k, row.v, resealed],
        );
        if (updated.length === 1) {
          counts.resealed += 1;
        } else {
          counts.changedMeanwhile += 1;
        }
      }
    });
    after = rows.at(-1)?.k;
  }
}

/** A value that would not open, named by what is safe to print: the missing key's id or the kind of damage. */
function failureOf(error: unknown): string {
  if (!isAppError(error)) {
    throw error;
  }
  const details = error.details ?? {};
  if (details.reason === 'unknown_key' && typeof details.keyId === 'string') {
    return details.keyId;
  }
  return typeof details.reason === 'string' ? details.reason : 'unreadable';
}
