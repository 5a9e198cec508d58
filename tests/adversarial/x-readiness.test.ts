import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { readinessHandler } from '../../server/http/readiness';
import { projectRoot } from '../../server/project-root';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Review findings X13–X14: the port opened 15–20 s before the app could answer and held connections silently (a
 * client without a timeout hung for minutes), and `/healthz` said "ok" whatever the state. Now every request during
 * boot gets an immediate 503 "starting", and `/readyz` (readiness) is separate from `/healthz` (liveness).
 */
const MAIN = path.join(projectRoot(), 'dist', 'server', 'main.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('X13: while the server boots, every probe on its port is answered (503 starting) until it is ready (200)', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-boot-'));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    // Production's shape (one EHR, no sandbox in the process), on loopback http, so the sandbox rules are chosen.
    env: {
      ...process.env,
      PORT: String(port),
      SANDBOX: 'off',
      ITDD_ENV: 'sandbox',
      EHR_TENANTS: JSON.stringify([{ id: 'ehr', name: 'EHR', iss: 'https://fhir.example.org/R4', vendor: 'generic', clientId: 'itdd' }]),
      DATA_DIR: dataDir,
      PDF_WARM: 'off',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
  const answers: Array<number | 'no answer'> = [];
  try {
    const until = Date.now() + 150_000;
    while (Date.now() < until) {
      try {
        // A probe that gets no answer within 3 s is what a load balancer would count as a hung instance.
        const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3000) });
        const body = (await response.json()) as { status: string };
        answers.push(response.status);
        expect(response.status === 200 || body.status === 'starting').toBe(true);
        if (response.status === 200) {
          break;
        }
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') {
          answers.push('no answer');
        }
        // refused: the port is not open yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  expect(answers).not.toContain('no answer');
  expect(answers.at(-1)).toBe(200);
  expect(answers.filter((a) => a !== 503 && a !== 200)).toEqual([]);
}, 180_000);

describe('X14: readiness is not liveness', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem();
  });

  afterAll(async () => {
    await system.close();
  });

  test('a running system is live and ready, and says what it checked', async () => {
    expect((await fetch(`${system.appUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${system.appUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: expect.objectContaining({ store: 'ok', pdf: expect.stringMatching(/idle|starting|up/) }) });
  });

  test('a failing or silent check makes the instance not ready (503), naming it', async () => {
    const app = express();
    app.get('/readyz', readinessHandler([
      { name: 'store', run: () => Promise.reject(new Error('connection refused')) },
      { name: 'pdf', run: () => Promise.resolve({ ok: true, state: 'up' }) },
      { name: 'slow', run: () => new Promise(() => undefined) },
    ]));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'not ready', checks: { store: 'unreachable', pdf: 'up', slow: 'no answer in time' } });
    } finally {
      server.close();
    }
  });
});
