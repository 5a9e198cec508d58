import { openPgliteDb } from './pglite-db';
import { openPostgresDb } from './postgres-db';
import { runMigrations } from './migrations';

/**
 * The one database handle the app uses. One SQL dialect everywhere: PostgreSQL, served either in-process by PGlite
 * (the embedded default, no configuration) or by a PostgreSQL server via `pg` (production, `DATABASE_URL`).
 * See ARCHITECTURE.md §6.
 */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  /** Runs one parameterised statement ($1, $2, …) and returns its rows. Never build SQL from untrusted input. */
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs a multi-statement script without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` inside BEGIN/COMMIT, rolling back when it throws. Use the `tx` handle inside `fn` (on PGlite the outer
   * handle waits for the transaction, so using it inside would deadlock). Calling `tx.transaction` joins the running
   * transaction rather than nesting.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** `postgres://…` — a PostgreSQL server. Absent → PGlite. */
  databaseUrl?: string;
  /** PGlite folder (created if missing); undefined → in-memory (tests). Ignored with `databaseUrl`. */
  dataDir?: string;
  /** PostgreSQL only: work inside this schema (created if missing) — isolates test runs from each other. */
  schema?: string;
}

/**
 * Opens the store and brings its schema up to date, so every caller sees the tables the code expects.
 * @returns a ready handle; close it on shutdown.
 */
export async function openDb(options: OpenDbOptions): Promise<Db> {
  const db =
    options.databaseUrl !== undefined && options.databaseUrl !== ''
      ? await openPostgresDb(options.databaseUrl, options.schema)
      : await openPgliteDb(options.dataDir);
  try {
    await runMigrations(db, options.schema ?? 'public');
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}
