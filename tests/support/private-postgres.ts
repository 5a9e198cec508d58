import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';

/**
 * A PostgreSQL server of the test's own, to stop and start while the app runs on it — never a shared server other
 * suites use. Built from the Debian packages' binaries, run as the `postgres` user (the server refuses root), in a
 * temporary folder, on a free loopback port. Commands run asynchronously: the app under test shares this process,
 * and a synchronous wait would freeze it too.
 */
const BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Why a private server cannot run here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!fs.existsSync(path.join(BIN, 'pg_ctl')) || !fs.existsSync(path.join(BIN, 'initdb'))) {
    return `PostgreSQL binaries not found in ${BIN}`;
  }
  if (process.getuid?.() !== 0) {
    return 'not running as root, so the server cannot be run as the postgres user';
  }
  try {
    fs.accessSync('/usr/sbin/runuser');
  } catch {
    return 'runuser is not installed';
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const asPostgres = (command: string, ...args: string[]): Promise<unknown> =>
  run('/usr/sbin/runuser', ['-u', 'postgres', '--', path.join(BIN, command), ...args], { timeout: 60_000 });

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-pg-'));
  const dataDir = path.join(root, 'data');
  await run('chown', ['postgres:postgres', root]);
  await asPostgres('initdb', '-D', dataDir, '-U', 'itdd', '-A', 'trust', '--no-sync', '-E', 'UTF8');
  const port = await freePort();
  // Socket files in the temporary folder, not /var/run/postgresql (that belongs to the machine's own server).
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=off`;
  const server: PrivatePostgres = {
    url: `postgres://itdd@127.0.0.1:${port}/postgres`,
    start: async () => {
      await asPostgres('pg_ctl', '-D', dataDir, '-o', options, '-l', path.join(root, 'server.log'), '-w', 'start');
    },
    // "fast": what a restart does to the sessions — each connection is told the server is shutting down (57P01).
    stop: async () => {
      await asPostgres('pg_ctl', '-D', dataDir, '-m', 'fast', '-w', 'stop');
    },
    destroy: async () => {
      await server.stop().catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
