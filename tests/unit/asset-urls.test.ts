import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { assetRoutes } from '../../server/http/assets';
import { versionedAssetUrl } from '../../server/http/asset-urls';
import { renderPage, html } from '../../server/http/html';

/**
 * Every app window opened from the chart asked the app's server again for its script and stylesheet (max-age=0, so a
 * revalidation round trip each, inside the EHR's frame, at every launch). Pages now link them by content version,
 * and a URL with the served file's own version is cached for good.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-asset-urls-'));
fs.mkdirSync(path.join(root, 'dist', 'client'), { recursive: true });
fs.mkdirSync(path.join(root, 'client', 'public'), { recursive: true });
const SCRIPT = 'console.log("one build");\n';
fs.writeFileSync(path.join(root, 'dist', 'client', 'app.js'), SCRIPT);
fs.writeFileSync(path.join(root, 'client', 'public', 'app.css'), 'body { color: black; }\n');
const versionOfScript = crypto.createHash('sha256').update(SCRIPT).digest('hex').slice(0, 12);

let server: ReturnType<express.Express['listen']>;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(assetRoutes({ production: true, root }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('an app asset is linked by the hash of its content; other URLs are left as they are', () => {
  expect(versionedAssetUrl('/assets/app.js', root)).toBe(`/assets/app.js?v=${versionOfScript}`);
  expect(versionedAssetUrl('/assets/app.css', root)).toMatch(/^\/assets\/app\.css\?v=[0-9a-f]{12}$/);
  expect(versionedAssetUrl('/assets/missing.js', root)).toBe('/assets/missing.js');
  expect(versionedAssetUrl('/assets/../package.json', root)).toBe('/assets/../package.json');
  expect(versionedAssetUrl('/sandbox/simulator.js', root)).toBe('/sandbox/simulator.js');
});

test('the served pages link the built script and stylesheet by version', () => {
  const page = renderPage({ title: 'Patient', body: html`<main></main>`, scripts: ['/assets/app.js'] });
  expect(page).toMatch(/<link rel="stylesheet" href="\/assets\/app\.css\?v=[0-9a-f]{12}">/);
  // The script is versioned once built (the test command builds first); its URL is the one the routes serve.
  expect(page).toContain(`<script src="${versionedAssetUrl('/assets/app.js')}" defer></script>`);
});

test('the URL of this very content is cached for a year; the bare URL and another version are asked again', async () => {
  const cacheOf = async (url: string): Promise<[number, string | null, string]> => {
    const response = await fetch(`${base}${url}`);
    return [response.status, response.headers.get('cache-control'), await response.text()];
  };
  expect(await cacheOf(versionedAssetUrl('/assets/app.js', root))).toEqual([200, 'public, max-age=31536000, immutable', SCRIPT]);
  expect(await cacheOf(versionedAssetUrl('/assets/app.css', root))).toEqual([200, 'public, max-age=31536000, immutable', 'body { color: black; }\n']);
  expect(await cacheOf('/assets/app.js')).toEqual([200, 'public, max-age=0', SCRIPT]);
  // A page from an older build asks for its version: it gets today's file, never to be kept for good.
  expect(await cacheOf('/assets/app.js?v=000000000000')).toEqual([200, 'public, max-age=0', SCRIPT]);
});
