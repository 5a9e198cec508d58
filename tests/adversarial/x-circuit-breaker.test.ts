import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EhrBreakers, isEhrPaused } from '../../server/http/ehr-breakers';
import { createFhirHttp } from '../../server/chart/fhir-http';
import { createLogger } from '../../server/log';

/**
 * Review finding X15: repeated EHR failures were retried at full rate. A breaker per tenant now pauses the calls once
 * most recent answers fail, says so in the read's outcome, lets one trial through after the pause, and closes on
 * its success. 4xx answers are the EHR working and never open it.
 */
const SETTINGS = { rollingCountTimeoutMs: 10_000, volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 300 };

async function ehrAnswering(statusOf: () => number): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits += 1;
    res.writeHead(statusOf(), { 'content-type': 'application/fhir+json' }).end('{"resourceType":"Patient","id":"p1"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('X15: an EHR answering 503 is paused after a few calls, then tried again and trusted when it recovers', async () => {
  let status = 503;
  const ehr = await ehrAnswering(() => status);
  const breakers = new EhrBreakers(createLogger('silent'), SETTINGS);
  const client = createFhirHttp({ baseUrl: ehr.url, getAccessToken: () => Promise.resolve('t'), fetchImpl: breakers.fetchFor('tenant-a') });
  try {
    const outcomes = [];
    for (let i = 0; i < 10; i += 1) {
      outcomes.push(await client.read('Patient/p1'));
    }
    expect(ehr.hits()).toBe(SETTINGS.volumeThreshold);
    expect(outcomes.slice(SETTINGS.volumeThreshold).every((o) => o.kind === 'failed' && /paused/.test(o.reason))).toBe(true);
    expect(breakers.states()).toEqual({ 'tenant-a': 'open' });

    // Another EHR is not affected.
    const other = new EhrBreakers(createLogger('silent'), SETTINGS);
    expect(other.states()).toEqual({});

    status = 200;
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.resetTimeoutMs + 100));
    expect((await client.read('Patient/p1')).kind).toBe('ok');
    expect(breakers.states()).toEqual({ 'tenant-a': 'closed' });
  } finally {
    breakers.shutdown();
    await ehr.close();
  }
});

test('X15: refusals (403, 404) do not open the breaker', async () => {
  const ehr = await ehrAnswering(() => 403);
  const breakers = new EhrBreakers(createLogger('silent'), SETTINGS);
  try {
    const fetchA = breakers.fetchFor('tenant-b');
    for (let i = 0; i < 8; i += 1) {
      expect((await fetchA(`${ehr.url}/Patient/p1`)).status).toBe(403);
    }
    expect(ehr.hits()).toBe(8);
    expect(breakers.states()).toEqual({ 'tenant-b': 'closed' });
  } finally {
    breakers.shutdown();
    await ehr.close();
  }
});

test('X15: an unreachable EHR opens the breaker and later calls fail at once as paused', async () => {
  const breakers = new EhrBreakers(createLogger('silent'), SETTINGS);
  const fetchC = breakers.fetchFor('tenant-c');
  try {
    const errors: unknown[] = [];
    for (let i = 0; i < 6; i += 1) {
      errors.push(await fetchC('http://127.0.0.1:9/fhir/Patient/p1').catch((error: unknown) => error));
    }
    expect(errors.slice(0, SETTINGS.volumeThreshold).some(isEhrPaused)).toBe(false);
    expect(errors.slice(SETTINGS.volumeThreshold).every(isEhrPaused)).toBe(true);
  } finally {
    breakers.shutdown();
  }
});
