/**
 * What every store command (`npm run audit`, `npm run content`) shares: opening the store the app uses, and
 * reporting a failure as one line that says what to fix — never a stack trace.
 *
 * The store is `DATABASE_URL` when set, else the embedded PGlite store under `DATA_DIR` (default `.data`), which must
 * exist already (a command never creates an empty store and reports success on it). Exit codes: 2 for bad arguments
 * or a missing store (`bad_request`), 1 for anything else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError, badRequest, isAppError } from '../errors';
import { projectRoot } from '../project-root';
import type { Db } from '../store/db';
import { openDb } from '../store/db';

export interface CliStreams {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const PROCESS_STREAMS: CliStreams = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function openStore(env: NodeJS.ProcessEnv): Promise<Db> {
  if (env.DATABASE_URL !== undefined && env.DATABASE_URL !== '') {
    return openDb({ databaseUrl: env.DATABASE_URL }).catch((cause: unknown) => {
      // The URL is not repeated: it may carry a password.
      const code = (cause as { code?: unknown }).code;
      throw new AppError('internal', `The store at DATABASE_URL could not be opened${typeof code === 'string' ? ` (${code})` : ''}.`, {
        hint: 'Check that PostgreSQL is running and that DATABASE_URL names its host, port, database and user.',
        cause,
      });
    });
  }
  const dataDir = path.join(path.resolve(projectRoot(), env.DATA_DIR ?? '.data'), 'pglite');
  if (!fs.existsSync(dataDir)) {
    throw badRequest(`There is no store at ${path.relative(process.cwd(), dataDir) || dataDir}.`, { hint: 'Set DATABASE_URL to the app\'s PostgreSQL, or DATA_DIR to where the app keeps its embedded store.' });
  }
  return openDb({ dataDir });
}

/** Writes `<command>: <what went wrong>` (and the hint) and returns the exit code. */
export function reportCliError(command: string, error: unknown, streams: CliStreams): number {
  const known = isAppError(error);
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  const hint = known && error.hint !== undefined ? `\n${error.hint}` : '';
  streams.err(`${command}: ${known ? message : `could not finish (${message.slice(0, 200)})`}${hint}\n`);
  return known && error.code === 'bad_request' ? 2 : 1;
}

/** `--name value` pairs; anything else is a usage error. */
export function parseFlags(argv: readonly string[], usage: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i] ?? '';
    const value = argv[i + 1];
    if (!name.startsWith('--') || value === undefined) {
      throw badRequest(usage);
    }
    flags.set(name.slice(2), value);
  }
  return flags;
}
