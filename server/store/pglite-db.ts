import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Transaction } from '@electric-sql/pglite';
import type { Db } from './db';
import { AppError } from '../errors';

type PgliteQueryable = Pick<Transaction, 'query' | 'exec'>;

/** The statement/script half of a handle, shared by the instance and its transactions. */
function queriesOn(target: PgliteQueryable): Pick<Db, 'query' | 'exec'> {
  return {
    async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
      const result = await target.query<R>(sql, params);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

function transactionHandle(tx: Transaction): Db {
  const handle: Db = {
    kind: 'pglite',
    ...queriesOn(tx),
    transaction: (fn) => fn(handle),
    close: () => Promise.reject(new AppError('internal', 'A transaction handle cannot close the database')),
  };
  return handle;
}

/**
 * Opens PGlite (PostgreSQL compiled to WebAssembly, in this process). One instance per data folder: PGlite is
 * single-connection, so it serialises statements and transactions itself.
 * @param dataDir - folder holding the database files; undefined keeps everything in memory.
 */
export async function openPgliteDb(dataDir: string | undefined): Promise<Db> {
  if (dataDir !== undefined) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  }
  // PostgreSQL's default 128 MB of shared buffers lives in this process's memory; the embedded store's tables are
  // small, and 16 MB keeps an idle app about 130 MB smaller (tests/bench/measure-idle.ts).
  const settings = { postgresqlconf: ['shared_buffers = 16MB'] };
  const pglite = await PGlite.create(dataDir === undefined ? settings : { ...settings, dataDir });
  return {
    kind: 'pglite',
    ...queriesOn(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(transactionHandle(tx))),
    close: () => pglite.close(),
  };
}
