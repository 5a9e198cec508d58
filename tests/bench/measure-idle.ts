/**
 * Cold start and idle memory of the production-shaped server: the built `dist/server/main.js` with the sandbox off,
 * one https tenant and no Chromium warm-up, in a fresh data folder. Cold start is spawn → first 200 from `/healthz`;
 * idle memory is the process's resident set 3 s later (VmRSS, Linux).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../server/project-root';
import type { BenchReport, Benchmark } from './run';

export interface IdleFigures {
  cold_start_ms: number;
  rss_mb_idle_node: number;
}

const POLL_MS = 20;
const SETTLE_MS = 3_000;
const START_TIMEOUT_MS = 30_000;
export const TARGET_COLD_START_MS = 3_000;
export const TARGET_RSS_MB = 250;

/** A port nothing listens on now (the server prints no port when given 0, so we choose one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).status === 200;
  } catch {
    return false;
  }
}

function residentMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kb === undefined) {
    throw new Error('VmRSS not found in /proc/<pid>/status');
  }
  return Math.round((Number(kb) / 1024) * 10) / 10;
}

export async function measureIdle(): Promise<IdleFigures> {
  const main = path.join(projectRoot(), 'dist', 'server', 'main.js');
  if (!fs.existsSync(main)) {
    throw new Error('dist/server/main.js is missing: run `npm run build` first');
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-idle-'));
  const port = await freePort();
  const tenant = { id: 'epic-prod', name: 'Epic', iss: 'https://fhir.example.org/api/FHIR/R4', vendor: 'epic', clientId: 'itdd' };
  const started = performance.now();
  const child = spawn(process.execPath, [main], {
    cwd: projectRoot(),
    env: { ...process.env, SANDBOX: 'off', ITDD_ENV: 'sandbox', EHR_TENANTS: JSON.stringify([tenant]), PDF_WARM: 'off', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = `http://127.0.0.1:${port}/healthz`;
    while (!(await healthy(url))) {
      if (child.exitCode !== null || performance.now() - started > START_TIMEOUT_MS) {
        throw new Error('the server did not answer /healthz');
      }
      await sleep(POLL_MS);
    }
    const coldStartMs = Math.round(performance.now() - started);
    await sleep(SETTLE_MS);
    return { cold_start_ms: coldStartMs, rss_mb_idle_node: residentMb(child.pid as number) };
  } finally {
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function run(): Promise<BenchReport> {
  const figures = await measureIdle();
  return {
    rows: [{ case: 'production boot (sandbox off, one tenant, no PDF warm-up)', ...figures }],
    checks: [
      { target: 'cold start (ms)', value: figures.cold_start_ms, limit: TARGET_COLD_START_MS, met: figures.cold_start_ms <= TARGET_COLD_START_MS },
      { target: 'idle RSS (MB)', value: figures.rss_mb_idle_node, limit: TARGET_RSS_MB, met: figures.rss_mb_idle_node <= TARGET_RSS_MB },
    ],
    notes: ['Chromium is not started (PDF_WARM=off): its processes are separate and not counted.'],
  };
}

export const idleBenchmark: Benchmark = {
  name: 'idle',
  description: 'Cold start (spawn to the first 200 from /healthz) and resident memory 3 s later, of the built production server.',
  run,
};

if (require.main === module) {
  measureIdle().then(
    (figures) => process.stdout.write(`${JSON.stringify(figures)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
