/**
 * `npm run keys -- status`   how many sealed values each key id holds, per column
 * `npm run keys -- reseal`   re-seal every value not under the current key, so older keys can be retired
 *
 * Runs with the app's own configuration: `TOKEN_ENCRYPTION_KEY` (current), `TOKEN_ENCRYPTION_PREVIOUS_KEYS` (the keys
 * being retired) and the store (`DATABASE_URL`, else the embedded store under `DATA_DIR`). `reseal` is safe to run
 * while the app serves (on PostgreSQL; the embedded store is one process's) and to run again: see
 * sealed-columns.ts. Output is counts and key ids only — never a value, a row id or a key. Exit codes: 0 done,
 * 2 bad arguments, a missing store or key, or an unlisted sealed column; 3 some values could not be opened; 1 else.
 */
import path from 'node:path';
import type { SealingKeysConfig } from '../config';
import { sealingKeysFromEnv } from '../config';
import { badRequest } from '../errors';
import { projectRoot } from '../project-root';
import type { Db } from '../store/db';
import { sealedBoxFor } from '../store/keyring';
import type { SealedBox } from '../store/sealed-box';
import type { CliStreams } from './cli-support';
import { PROCESS_STREAMS, runWithStore } from './cli-support';
import { columnName, countByKey, resealColumn, SEALED_COLUMNS, unlistedSealedColumns } from './sealed-columns';

export type { CliStreams } from './cli-support';

const USAGE = 'usage: keys status | keys reseal [--batch N]';
/** reseal's exit code when some values could not be opened (distinct from a usage error). */
export const EXIT_UNOPENED = 3;

function keyLabel(box: SealedBox, keyId: string): string {
  if (keyId === box.currentKeyId) {
    return `${keyId} (current)`;
  }
  return box.knows(keyId) ? `${keyId} (previous)` : `${keyId} (NOT CONFIGURED)`;
}

async function status(db: Db, box: SealedBox, streams: CliStreams): Promise<number> {
  streams.out(`current key ${box.currentKeyId}\n`);
  for (const c of SEALED_COLUMNS) {
    const counts = await countByKey(db, c);
    const parts = [...counts].map(([keyId, n]) => `${n} under ${keyLabel(box, keyId)}`);
    streams.out(`${columnName(c)}: ${parts.length === 0 ? 'none' : parts.join(', ')}\n`);
  }
  return 0;
}

async function reseal(db: Db, box: SealedBox, batch: number, streams: CliStreams): Promise<number> {
  let unopened = 0;
  for (const c of SEALED_COLUMNS) {
    const counts = await resealColumn(db, box, c, batch);
    const failed = [...counts.failed].map(([why, n]) => `${n} could not be opened (${why === 'tampered' || why === 'malformed' ? why : `key ${why} not configured`})`);
    unopened += [...counts.failed.values()].reduce((a, b) => a + b, 0);
    streams.out(`${columnName(c)}: ${[`${counts.resealed} re-sealed`, `${counts.changedMeanwhile} changed meanwhile (left as written)`, ...failed].join(', ')}\n`);
  }
  if (unopened > 0) {
    streams.out(`${unopened} values could not be opened and are still under their old key: do not retire it yet\n`);
    return EXIT_UNOPENED;
  }
  streams.out(`every sealed value is under ${box.currentKeyId}: keys no longer listed by \`keys status\` can be retired\n`);
  return 0;
}

function batchOf(argv: readonly string[]): number {
  if (argv.length === 0) {
    return 200;
  }
  const [flag, value] = argv;
  const n = Number(value);
  if (argv.length !== 2 || flag !== '--batch' || !Number.isInteger(n) || n < 1 || n > 10_000) {
    throw badRequest(USAGE);
  }
  return n;
}

/** The app's keyring from the environment (the data folder resolved as cli-support's `openStore` does). */
function boxFor(env: NodeJS.ProcessEnv): SealedBox {
  let keys: SealingKeysConfig;
  try {
    keys = sealingKeysFromEnv(env);
  } catch (error) {
    // A key error is the configuration's own message (it names the variable and entry, never the key).
    throw badRequest(error instanceof Error ? error.message : String(error));
  }
  const dataDir = path.resolve(projectRoot(), env.DATA_DIR ?? '.data');
  return sealedBoxFor({ tokenEncryptionKey: keys.current, tokenEncryptionPreviousKeys: keys.previous, dataDir }, { createLocalKey: false });
}

export async function runKeysCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, streams: CliStreams = PROCESS_STREAMS): Promise<number> {
  return runWithStore('keys', env, streams, async (open) => {
    const [command, ...rest] = argv;
    if (command !== 'status' && command !== 'reseal') {
      throw badRequest(USAGE);
    }
    const batch = command === 'reseal' ? batchOf(rest) : 0;
    if (command === 'status' && rest.length > 0) {
      throw badRequest(USAGE);
    }
    const box = boxFor(env);
    const db = await open();
    const unlisted = await unlistedSealedColumns(db);
    if (unlisted.length > 0) {
      throw badRequest(`The store has sealed columns this command does not know: ${unlisted.join(', ')}.`, {
        hint: 'Add them to server/cli/sealed-columns.ts before re-sealing, or their values would stay under the old key.',
      });
    }
    return command === 'status' ? await status(db, box, streams) : await reseal(db, box, batch, streams);
  });
}

if (require.main === module) {
  void runKeysCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
