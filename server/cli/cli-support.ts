/**
 * What every command (`audit`, `content`, `gaps`) shares: the store it opens (`DATABASE_URL`, else the embedded PGlite
 * store under `DATA_DIR`, which must exist already: a command never creates an empty store and reports success on it),
 * `--name value` flags, dates as YYYY-MM-DD, and errors as one line that says what to fix — never a stack trace.
 * Exit codes: 0 done, 2 bad arguments or a missing store, 1 anything else (an unreachable EHR or database).
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

const DATE = /^\d{4}-\d{2}-\d{2}$/;

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

export function dateArg(args: Map<string, string>, name: string): Date {
  const value = args.get(name);
  if (value === undefined || !DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw badRequest(`--${name} must be a date as YYYY-MM-DD (got ${value === undefined ? 'nothing' : JSON.stringify(value.slice(0, 40))}).`);
  }
  return new Date(`${value}T00:00:00Z`);
}

/** `--name value` pairs; anything else is the usage line. */
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

/** Writes `<command>: <what went wrong>` (and the hint) and returns the exit code. */
export function reportCliError(command: string, error: unknown, streams: CliStreams): number {
  const known = isAppError(error);
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  const hint = known && error.hint !== undefined ? `\n${error.hint}` : '';
  streams.err(`${command}: ${known ? message : `could not finish (${message.slice(0, 200)})`}${hint}\n`);
  return known && error.code === 'bad_request' ? 2 : 1;
}

/**
 * Runs a command body with the store open, closing it afterwards, and turns any error into one line on stderr
 * (with the error's hint on a second line) and an exit code.
 */
export async function runWithStore(
  name: string,
  env: NodeJS.ProcessEnv,
  streams: CliStreams,
  body: (open: () => Promise<Db>) => Promise<number>,
): Promise<number> {
  let db: Db | undefined;
  try {
    return await body(async () => {
      db = await openStore(env);
      return db;
    });
  } catch (error) {
    return reportCliError(name, error, streams);
  } finally {
    await db?.close();
  }
}
