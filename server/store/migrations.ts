import type { Db } from './db';
import { AppError } from '../errors';
import { launchSessions001 } from './migrations/001_launch_sessions';
import { discussions002 } from './migrations/002_discussions';
import { writeLedger003 } from './migrations/003_write_ledger';
import { chartSnapshots004 } from './migrations/004_chart_snapshots';
import { auditTrail005 } from './migrations/005_audit_trail';
import { contentApprovals006 } from './migrations/006_content_approvals';
import { complianceDashboard007 } from './migrations/007_compliance_dashboard';
import { tokenRefreshLease008 } from './migrations/008_token_refresh_lease';
import { rateLimits009 } from './migrations/009_rate_limits';

/**
 * One schema change. Applied migrations are never edited: change the schema by appending a new one.
 * To add a migration: create `migrations/NNN_what_it_does.ts` exporting `{ id: 'NNN_what_it_does', sql }` and
 * append it to {@link MIGRATIONS}. Write PostgreSQL that PGlite also runs (no extensions unless PGlite ships them).
 */
export interface Migration {
  /** `NNN_snake_case`; ids sort in the order they apply. */
  readonly id: string;
  /** One or more statements, run in one transaction together with the bookkeeping row. */
  readonly sql: string;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  launchSessions001,
  discussions002,
  writeLedger003,
  chartSnapshots004,
  auditTrail005,
  contentApprovals006,
  complianceDashboard007,
  tokenRefreshLease008,
  rateLimits009,
];

const MIGRATION_ID = /^\d{3}_[a-z0-9_]+$/;

/** Refuses a malformed list before touching the database: bad ids, duplicates or ids out of order. */
export function assertMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (!MIGRATION_ID.test(migration.id)) {
      throw new AppError('internal', `Migration id "${migration.id}" must look like 001_what_it_does`);
    }
    const previous = migrations[index - 1];
    if (previous !== undefined && previous.id >= migration.id) {
      throw new AppError('internal', `Migration "${migration.id}" must sort after "${previous.id}"`);
    }
  });
}

const CREATE_BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * On PostgreSQL, several app instances may start at once: a transaction-scoped advisory lock (per schema) makes
 * them take turns, and each re-checks what is applied after it holds the lock. PGlite is single-process.
 */
async function lockMigrations(tx: Db, schema: string): Promise<void> {
  if (tx.kind === 'postgres') {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`itdd-consent:migrations:${schema}`]);
  }
}

/** Applies one migration unless another instance already did; true when this call applied it. */
async function applyOne(db: Db, migration: Migration, schema: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockMigrations(tx, schema);
    const done = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
    if (done.length > 0) {
      return false;
    }
    await tx.exec(migration.sql);
    await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
    return true;
  });
}

/**
 * Brings the schema up to date, each migration in its own transaction (a failure leaves earlier ones applied and
 * this one not at all).
 * @param schema - names the advisory lock, so test schemas on one server do not wait for each other.
 * @returns the ids this call applied (empty when already up to date).
 */
export async function runMigrations(
  db: Db,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  assertMigrationList(migrations);
  await db.transaction(async (tx) => {
    await lockMigrations(tx, schema);
    await tx.exec(CREATE_BOOKKEEPING);
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    if (await applyOne(db, migration, schema)) {
      applied.push(migration.id);
    }
  }
  return applied;
}
