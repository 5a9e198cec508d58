import { Pool } from 'pg';
import type { PoolClient } from 'pg';
import type { Db } from './db';
import { AppError } from '../errors';

/** A PostgreSQL identifier we can splice into SQL without quoting: lower-case, starts with a letter or `_`. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

type Queryable = Pick<PoolClient, 'query'>;

/** Socket errors that mean "no server there, or the connection is gone". */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now (restarting), too_many_connections; class 08 below. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** `pg` and `pg-pool` say these in words only: they carry no code. */
const CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * A PostgreSQL server that is down or restarting is a state the clinician can wait out, not a bug: it becomes a 503
 * that says what was and was not kept (the page keeps the change and sends it again), rather than the generic 500.
 * Anything else — a constraint, a syntax error — is passed on as it came.
 */
function unavailableOrAsIs(error: unknown): unknown {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const lost =
    (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) ||
    (typeof message === 'string' && CONNECTION_MESSAGES.test(message));
  if (!lost) {
    return error;
  }
  return new AppError('service_unavailable', 'The app cannot reach its database just now.', {
    hint: 'What was saved before is kept. A change made just now was not saved: the page sends it again by itself, or try again in a moment.',
    details: { reason: 'store_unavailable' },
    cause: error,
  });
}

function queriesOn(target: Queryable): Pick<Db, 'query' | 'exec'> {
  return {
    async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
      try {
        const result = await target.query<R>(sql, params);
        return result.rows;
      } catch (error) {
        throw unavailableOrAsIs(error);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        // Without parameters `pg` uses the simple protocol, which accepts several statements.
        await target.query(sql);
      } catch (error) {
        throw unavailableOrAsIs(error);
      }
    },
  };
}

function transactionHandle(client: PoolClient): Db {
  const handle: Db = {
    kind: 'postgres',
    ...queriesOn(client),
    transaction: (fn) => fn(handle),
    close: () => Promise.reject(new AppError('internal', 'A transaction handle cannot close the database')),
  };
  return handle;
}

/** BEGIN/COMMIT on one pooled client; a client whose ROLLBACK failed is destroyed rather than reused. */
async function inTransaction<T>(pool: Pool, fn: (tx: Db) => Promise<T>): Promise<T> {
  const client = await pool.connect().catch((error: unknown) => {
    throw unavailableOrAsIs(error);
  });
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(transactionHandle(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error('ROLLBACK failed');
    });
    throw unavailableOrAsIs(error);
  } finally {
    client.release(broken);
  }
}

/**
 * Creates the schema if needed. Serialised with an advisory lock because two `CREATE SCHEMA IF NOT EXISTS` running
 * at the same moment can still collide on the catalog's unique index.
 */
async function ensureSchema(pool: Pool, schema: string): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`itdd-consent:schema:${schema}`]);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  });
}

/**
 * Connects a pool to a PostgreSQL server.
 * @param databaseUrl - `postgres://user@host:port/db` (TLS and credentials as the URL says).
 * @param schema - optional schema every connection works in (`search_path`), created if missing.
 */
export async function openPostgresDb(databaseUrl: string, schema?: string): Promise<Db> {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new AppError('internal', 'The database schema name must be a plain lower-case identifier');
  }
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client losing its connection is emitted on the pool; unhandled it would crash the process.
  pool.on('error', (error) => console.error(`database pool: idle client error (${error.message})`));
  try {
    if (schema !== undefined) {
      await ensureSchema(pool, schema);
    }
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    kind: 'postgres',
    ...queriesOn(pool),
    transaction: (fn) => inTransaction(pool, fn),
    close: () => pool.end(),
  };
}
