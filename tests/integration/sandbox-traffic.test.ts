import { startSandbox } from '../helpers/sandbox-harness';
import type { Harness } from '../helpers/sandbox-harness';

/** SANDBOX_LATENCY_MS: the sandbox's auth and FHIR endpoints answer late, its own simulator page does not. */
// Large enough that an undelayed answer on a loaded test machine still comes back well inside it.
const LATENCY_MS = 1000;
let h: Harness;

beforeAll(async () => {
  h = await startSandbox({ latencyMs: LATENCY_MS });
});
afterAll(async () => {
  await h.close();
});

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return performance.now() - started;
}

test('auth and FHIR endpoints answer late on every base', async () => {
  for (const url of [
    `${h.sandbox.fhirBaseUrls.generic}/metadata`,
    `${h.sandbox.fhirBaseUrls.epic}/.well-known/smart-configuration`,
    `${h.sandbox.fhirBaseUrls.oracle}/metadata`,
    `${h.baseUrl}/auth/jwks`,
  ]) {
    expect(await timed(url)).toBeGreaterThanOrEqual(LATENCY_MS - 5);
  }
});

test('the simulator page and its assets are not delayed', async () => {
  for (const url of [`${h.baseUrl}/`, `${h.baseUrl}/sandbox/sandbox.css`, `${h.baseUrl}/sandbox/simulator.js`]) {
    expect(await timed(url)).toBeLessThan(LATENCY_MS / 2);
  }
});

test('the request log times each request from arrival (before the delay) to its answer', async () => {
  const since = performance.now();
  await timed(`${h.sandbox.fhirBaseUrls.epic}/metadata?_format=json`);
  const [entry] = h.sandbox.requests().filter((r) => r.start >= since);
  expect(entry).toEqual({ method: 'GET', path: '/epic/r4/metadata', start: expect.any(Number), end: expect.any(Number) });
  expect(entry.end - entry.start).toBeGreaterThanOrEqual(LATENCY_MS - 5);
});
