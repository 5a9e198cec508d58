import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { assetRoutes } from '../../server/http/assets';
import { launchAs } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Review findings on the HTTP edge (X6–X8): an unknown Content-Encoding was a 500 with an error-level log line;
 * rejected and failed requests logged the whole launch id (a bearer of the session); production served source maps.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system.close();
});

async function openLaunch(): Promise<{ launchId: string; csrf: string; cookieRequest: (url: string, init?: RequestInit) => Promise<Response> }> {
  const launch = await launchAs(system, { patient: 'anticoagulant-patient' });
  const shell = await launch.finalResponse.text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(shell)?.[1] ?? '';
  return { launchId: launch.launchId, csrf, cookieRequest: (url, init) => launch.agent.request(url, init) };
}

test('X6: a body in an unknown Content-Encoding gets 415 with a clear message, logged as a rejection, not an error', async () => {
  const { launchId, csrf, cookieRequest } = await openLaunch();
  const before = system.logLines.length;
  const response = await cookieRequest(`${system.appUrl}/api/launches/${launchId}/discussion/answers`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'content-encoding': 'x-unheard-of', 'x-csrf-token': csrf, origin: system.appUrl },
    body: '{}',
  });
  expect(response.status).toBe(415);
  expect(await response.json()).toMatchObject({ error: 'unsupported_media_type', message: expect.stringMatching(/encoding/) });
  const lines = system.logLines.slice(before).map((line) => JSON.parse(line) as { level: number; msg?: string; event?: string });
  expect(lines.filter((line) => line.level >= 50)).toEqual([]);
});

test('X7: no log line of a rejected or failed request carries the launch id', async () => {
  const { launchId, cookieRequest } = await openLaunch();
  const before = system.logLines.length;
  const stranger = await fetch(`${system.appUrl}/api/launches/${launchId}/context`);
  expect(stranger.status).toBeGreaterThanOrEqual(400);
  await cookieRequest(`${system.appUrl}/api/launches/${launchId}/discussion/answers`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{' });
  await fetch(`${system.appUrl}/app/${launchId}/nothing-here`);
  const lines = system.logLines.slice(before);
  expect(lines.some((line) => /request\.rejected/.test(line))).toBe(true);
  expect(lines.filter((line) => line.includes(launchId))).toEqual([]);
  expect(lines.filter((line) => line.includes(launchId.slice(0, 12)))).toEqual([]);
});

describe('X8: source maps', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-assets-'));
  fs.mkdirSync(path.join(root, 'dist', 'client'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dist', 'client', 'app.js'), 'console.log(1);\n//# sourceMappingURL=app.js.map\n');
  fs.writeFileSync(path.join(root, 'dist', 'client', 'app.js.map'), '{"version":3,"sources":["client/app.ts"]}');

  async function get(production: boolean, file: string): Promise<number> {
    const app = express();
    app.use(assetRoutes({ production, root }));
    app.use((_req, res) => res.status(404).end());
    app.use(((_error, _req, res, _next) => res.status(404).end()) as express.ErrorRequestHandler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      return (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/assets/${file}`)).status;
    } finally {
      server.close();
    }
  }

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('production serves the bundle but not its source map; development serves both', async () => {
    expect(await get(true, 'app.js')).toBe(200);
    expect(await get(true, 'app.js.map')).toBe(404);
    expect(await get(false, 'app.js.map')).toBe(200);
  });
});
