/**
 * The app as production runs it: its own Node process (the built server), the sandbox EHR off inside it and running
 * in another process (this one) as an ordinary tenant, PostgreSQL as the store, the Chromium pool warm.
 * - cold start: process start to the first answered `/healthz`;
 * - idle: Node RSS with no clinician connected;
 * - 10 clinicians mid-discussion (launched, chart read, answers saved, a PDF printed each): Node RSS, and the PSS of
 *   the app and its Chromium processes together.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sandboxTenants } from '../../server/config';
import { projectRoot } from '../../server/project-root';
import { createSandbox } from '../../server/sandbox';
import { launchAs } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { rssMb, treePssMb } from './process-memory';

export interface MemoryFigures {
  cold_start_ms: number;
  rss_mb_idle_node: number;
  rss_mb_10_sessions_node: number;
  rss_mb_10_sessions: number;
  memory_measure: string;
}

const CLIENT_ID = 'itdd-consent';
const PATIENTS = ['anticoagulant-patient', 'diabetes-hba1c-patient', 'sleep-apnoea-benzodiazepine-patient', 'cancer-pain-high-dose-opioids-patient', 'baclofen-pump-patient'];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls /healthz (each poll with its own deadline: a port open before the app can answer must not hang the bench). */
async function firstAnswer(url: string, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(500) });
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error('the app did not answer /healthz in time');
}

async function midDiscussion(system: Pick<TestSystem, 'appUrl' | 'sandboxUrl'>, patient: string): Promise<void> {
  const launch = await launchAs(system, { patient, vendor: 'generic' });
  if (launch.finalResponse.status !== 200) {
    throw new Error(`launch failed: ${launch.finalResponse.status}`);
  }
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await launch.finalResponse.text())?.[1] ?? '';
  const api = `${system.appUrl}/api/launches/${launch.launchId}`;
  await (await launch.agent.request(`${api}/context`)).arrayBuffer();
  const view = (await (await launch.agent.request(`${api}/discussion`, { headers: { accept: 'application/json' } })).json()) as { discussion: { version: number }; checklist: { items: Array<{ id: string; kind: string; filledBy?: string }> } };
  const confirm = view.checklist.items.find((i) => i.kind === 'confirm' && i.filledBy !== 'app');
  await launch.agent.request(`${api}/discussion/answers`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', accept: 'application/json', origin: system.appUrl, 'x-csrf-token': csrf },
    body: JSON.stringify({ version: view.discussion.version, answers: confirm === undefined ? {} : { [confirm.id]: { value: true } } }),
  });
  const pdf = await launch.agent.request(`${api}/handout.pdf`);
  if (pdf.status !== 200) {
    throw new Error(`the PDF failed: ${pdf.status}`);
  }
  await pdf.arrayBuffer();
}

export async function measureProductionMemory(): Promise<MemoryFigures> {
  const [appPort, sandboxPort] = [await freePort(), await freePort()];
  const appUrl = `http://localhost:${appPort}`;
  const sandboxUrl = `http://localhost:${sandboxPort}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-bench-prod-'));
  const sandbox = await createSandbox({
    baseUrl: sandboxUrl,
    keyDir: path.join(dataDir, 'sandbox-keys'),
    clients: [{ clientId: CLIENT_ID, redirectUris: [`${appUrl}/callback`], launchUrl: `${appUrl}/launch.html`, jwksUrl: `${appUrl}/.well-known/jwks.json` }],
  });
  const sandboxServer = http.createServer(sandbox.app);
  await new Promise<void>((resolve) => sandboxServer.listen(sandboxPort, '127.0.0.1', resolve));
  const tenant = sandboxTenants(sandboxUrl, CLIENT_ID).find((t) => t.vendor === 'generic');
  const started = performance.now();
  const app = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'server', 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(appPort),
      APP_BASE_URL: appUrl,
      SANDBOX: 'off',
      // Production's shape (PostgreSQL, sandbox in another process) on loopback http, so the sandbox rules.
      ITDD_ENV: 'sandbox',
      EHR_TENANTS: JSON.stringify([{ ...tenant, id: 'ehr-generic' }]),
      DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await firstAnswer(appUrl, 60_000);
    const coldStart = performance.now() - started;
    await sleep(3000);
    const pid = app.pid ?? 0;
    const idle = rssMb(pid);
    const system = { appUrl, sandboxUrl };
    await Promise.all(Array.from({ length: 10 }, (_, i) => midDiscussion(system, PATIENTS[i % PATIENTS.length] ?? 'anticoagulant-patient')));
    await sleep(2000);
    return {
      cold_start_ms: Math.round(coldStart),
      rss_mb_idle_node: idle,
      rss_mb_10_sessions_node: rssMb(pid),
      rss_mb_10_sessions: treePssMb(pid),
      memory_measure: 'idle and node figures: RSS of the Node process; rss_mb_10_sessions: PSS of the Node process and its Chromium processes together',
    };
  } finally {
    app.kill('SIGTERM');
    await new Promise((resolve) => app.once('exit', resolve));
    await new Promise((resolve) => sandboxServer.close(resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
