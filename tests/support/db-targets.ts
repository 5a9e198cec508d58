import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../server/store/db';
import { openDb } from '../../server/store/db';

/**
 * The databases every store suite runs on: PGlite in memory (optionally on disk too) and — when TEST_DATABASE_URL is
 * set, as in CI — a real PostgreSQL server, each run in a schema of its own that is dropped afterwards.
 */
export interface DbTarget {
  /** Opens the database under test (a second call opens the same database again where that is possible). */
  open(): Promise<Db>;
  reopenable: boolean;
  cleanup(db: Db): Promise<void>;
}

const pgliteInMemory = (): DbTarget => ({ open: () => openDb({}), reopenable: false, cleanup: () => Promise.resolve() });

function pgliteOnDisk(): DbTarget {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-store-'));
  return { open: () => openDb({ dataDir }), reopenable: true, cleanup: () => fs.promises.rm(dataDir, { recursive: true, force: true }) };
}

function postgres(url: string, prefix: string): DbTarget {
  const schema = `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
  return {
    open: () => openDb({ databaseUrl: url, schema }),
    reopenable: true,
    cleanup: async (db) => {
      await db.query(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

/** `[name, make]` pairs for `describe.each`; `schemaPrefix` names the PostgreSQL schemas a suite creates. */
export function dbTargets(schemaPrefix: string, options: { onDisk?: boolean } = {}): Array<[string, () => DbTarget]> {
  const url = process.env.TEST_DATABASE_URL;
  return [
    ['PGlite in memory', pgliteInMemory],
    ...(options.onDisk === true ? [['PGlite on disk', pgliteOnDisk] as [string, () => DbTarget]] : []),
    ...(url === undefined ? [] : [['PostgreSQL', () => postgres(url, schemaPrefix)] as [string, () => DbTarget]]),
  ];
}
