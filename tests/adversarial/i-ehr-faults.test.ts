import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultProxy } from '../support/fault-proxy';
import { HOLD_MS, startFaultProxy } from '../support/fault-proxy';
import { call, clearFaults, openLaunch, queueFault } from '../support/filing-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Security research §6 group I, EHR side: the EHR down (connection refused, a name that does not resolve), slow
 * (headers after a minute, a body trickling a byte a second), and failing again and again (5xx). The sandbox EHR
 * sits behind a proxy that fails below HTTP, the way a real network does. What the clinician relies on: the app
 * answers quickly with a clear message that names no patient and carries no token, what was entered stays, and
 * the app works again once the EHR does, without a restart.
 */
let proxy: FaultProxy;
let trickler: http.Server;
let trickleOrigin: string;
let trickleAbandoned = 0;
let system: TestSystem;

type Session = Awaited<ReturnType<typeof openLaunch>>;

beforeAll(async () => {
  proxy = await startFaultProxy();
  // An auth server whose SMART configuration arrives a byte a second (the launch's own deadline must cover it).
  trickler = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 1000);
    res.on('close', () => {
      clearInterval(timer);
      if (!res.writableEnded) {
        trickleAbandoned += 1;
      }
    });
    req.resume();
  });
  await new Promise<void>((resolve) => trickler.listen(0, '127.0.0.1', resolve));
  trickleOrigin = `http://127.0.0.1:${(trickler.address() as AddressInfo).port}`;
  const tenant = (id: string, iss: string): Record<string, unknown> => ({ id, name: id, iss, vendor: 'generic', clientId: 'itdd-consent', authOrigins: [new URL(iss).origin] });
  system = await startTestSystem({
    SANDBOX: 'on',
    SANDBOX_BASE_URL: proxy.origin,
    // Loopback http tenants next to the sandbox: the sandbox rules, chosen explicitly.
    ITDD_ENV: 'sandbox',
    EHR_TENANTS: JSON.stringify([tenant('nowhere', 'https://ehr-down.invalid/fhir'), tenant('trickling', `${trickleOrigin}/fhir`)]),
  });
  proxy.targetPort = system.sandbox!.port;
});

afterAll(async () => {
  await system.close();
  await proxy.close();
  trickler.closeAllConnections();
  await new Promise((resolve) => trickler.close(resolve));
});

afterEach(async () => {
  proxy.mode = 'pass';
  await proxy.up().catch(() => undefined); // already up
  await clearFaults(system);
});

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const pageText = async (response: Response): Promise<string> =>
  (await response.text()).replace(/<[^>]+>/g, ' ').replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);

/** The EHR opens the app (GET /launch?iss&launch, the route behind the registered launch.html), timed. */
async function timedLaunch(iss: string): Promise<{ response: Response; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${system.appUrl}/launch?iss=${encodeURIComponent(iss)}&launch=launch-123`, { redirect: 'manual' });
  return { response, ms: Date.now() - started };
}

async function timedRefresh(session: Session): Promise<{ status: number; body: Record<string, any>; ms: number }> {
  const started = Date.now();
  const answer = await call(system, session, 'POST', `${system.appUrl}/api/launches/${session.launch.launchId}/chart/refresh`, {});
  return { ...answer, ms: Date.now() - started };
}

async function chartOf(session: Session): Promise<Record<string, any>> {
  return (await call(system, session, 'GET', `${system.appUrl}/api/launches/${session.launch.launchId}/context`)).body.context as Record<string, any>;
}

/** A launch with one clinician answer saved: what must survive whatever the EHR does next. */
async function sessionWithAnswer(patient: string, vendor: string): Promise<{ session: Session; itemId: string; version: number; patientName: string }> {
  const session = await openLaunch(system, patient, vendor);
  const view = (await call(system, session, 'GET', session.api)).body;
  const item = view.checklist.items.find((i: { kind: string; filledBy?: string }) => i.kind === 'text' && i.filledBy !== 'app');
  const saved = await call(system, session, 'PUT', `${session.api}/answers`, { version: view.discussion.version, answers: { [item.id]: { value: 'Riverside Pain Clinic' } } });
  expect(saved.status).toBe(200);
  const chart = await chartOf(session);
  expect(chart.reads.conditions.state).toBe('ok');
  return { session, itemId: item.id as string, version: saved.body.discussion.version as number, patientName: String(chart.patient.name) };
}

/** Every read that failed, and that each says `reason`. */
function failedReads(chart: Record<string, any>): Array<[string, string]> {
  return Object.entries(chart.reads as Record<string, { state: string; reason?: string }>)
    .filter(([, read]) => read.state === 'failed')
    .map(([name, read]) => [name, read.reason ?? '']);
}

/** Nothing the app answered or logged names the patient or carries a sandbox token. */
function expectNoPhiOrToken(texts: string[], patientName: string, patientId: string): void {
  const all = [...texts, ...system.logLines].join('\n');
  expect(all).not.toContain(patientName);
  expect(system.logLines.join('\n')).not.toContain(patientId);
  for (const secret of system.sandbox!.sandboxSecrets()) {
    expect(all).not.toContain(secret);
  }
}

test('I1: a launch from an EHR that refuses connections (ECONNREFUSED) or whose name does not resolve (NXDOMAIN) fails within seconds, with a clear page', async () => {
  await proxy.down();
  const refused = await timedLaunch(`${proxy.origin}/r4`);
  expect(refused.response.status).toBe(502);
  expect(await pageText(refused.response)).toMatch(/The EHR could not be reached \(the EHR's sign-in settings\)/);
  expect(refused.ms).toBeLessThan(3000);

  const unresolved = await timedLaunch('https://ehr-down.invalid/fhir');
  expect(unresolved.response.status).toBe(502);
  const text = await pageText(unresolved.response);
  expect(text).toMatch(/The EHR could not be reached/);
  expect(text).not.toMatch(/ENOTFOUND|getaddrinfo|at .*\.js/); // no resolver or stack detail for the clinician
  expect(unresolved.ms).toBeLessThan(3000);

  // The EHR is back: the next launch goes through, no restart.
  await proxy.up();
  const session = await openLaunch(system, 'minimal-data-patient', 'generic');
  expect((await chartOf(session)).reads.patient.state).toBe('ok');
});

test('I4: an EHR answering 500 again and again: its breaker opens, reads are held back and say so, readiness reports it, the draft stays editable, and reads resume after the pause', async () => {
  const patient = 'sleep-apnoea-benzodiazepine-patient';
  const { session, itemId, version, patientName } = await sessionWithAnswer(patient, 'generic');
  await queueFault(system, { fault: 'server-error', scope: 'read', patient, count: 100 });

  const breakerState = async (): Promise<string | undefined> =>
    ((await (await fetch(`${system.appUrl}/readyz`)).json()) as { checks: Record<string, string> }).checks['ehr:sandbox-generic'];
  // The breaker weighs the recent answers (the launch's reads were fine): it opens within a few failing refreshes.
  const failing: Array<Record<string, any>> = [];
  while (failing.length < 3 && (await breakerState()) !== 'open') {
    const refresh = await timedRefresh(session);
    expect(refresh.status).toBe(200);
    failing.push(refresh.body);
    expect(failedReads(await chartOf(session))).toContainEqual(['conditions', 'the EHR answered 500']);
  }
  expect(await breakerState()).toBe('open');

  // Open now: the next refresh sends nothing to the EHR and every read says why, in words.
  const before = system.sandbox!.requestCount();
  const second = await timedRefresh(session);
  expect(second.status).toBe(200);
  expect(system.sandbox!.requestCount()).toBe(before);
  const paused = failedReads(await chartOf(session));
  expect(paused.length).toBeGreaterThan(5);
  expect(paused.every(([, reason]) => /paused its calls to the EHR after repeated failures/.test(reason))).toBe(true);
  const ready = await fetch(`${system.appUrl}/readyz`);
  // Degraded, not down: every instance would see the same EHR outage, so the balancer must not drain them all.
  expect(ready.status).toBe(200);
  expect(((await ready.json()) as { checks: Record<string, string> }).checks['ehr:sandbox-generic']).toBe('open');

  const edited = await call(system, session, 'PUT', `${session.api}/answers`, { version, answers: { [itemId]: { value: 'Riverside Pain Clinic, building B' } } });
  expect(edited.status).toBe(200);
  expectNoPhiOrToken([JSON.stringify(failing), JSON.stringify(second.body), JSON.stringify(paused)], patientName, patient);

  // The EHR recovers; after the pause one trial read goes through, its success closes the breaker.
  await clearFaults(system);
  await new Promise((resolve) => setTimeout(resolve, 30_000 + 500));
  let chart: Record<string, any> = {};
  for (let attempt = 0; attempt < 2 && (attempt === 0 || failedReads(chart).length > 0); attempt += 1) {
    await timedRefresh(session);
    chart = await chartOf(session);
  }
  expect(failedReads(chart)).toEqual([]);
  const after = (await (await fetch(`${system.appUrl}/readyz`)).json()) as { checks: Record<string, string> };
  expect(after.checks['ehr:sandbox-generic']).toBe('closed');
  expect((await call(system, session, 'GET', session.api)).body.discussion.answers[itemId].value).toBe('Riverside Pain Clinic, building B');
}, 90_000);

test('I1: the EHR goes down mid-discussion: the chart refresh fails fast as "could not be reached", names no patient, and the saved answers are still there', async () => {
  const patient = 'diabetes-hba1c-patient';
  const { session, itemId, version, patientName } = await sessionWithAnswer(patient, 'oracle');
  await proxy.down();
  const refresh = await timedRefresh(session);
  expect(refresh.status).toBe(200);
  expect(refresh.ms).toBeLessThan(3000);
  const chart = await chartOf(session);
  const failed = failedReads(chart);
  expect(failed).toContainEqual(['conditions', 'the EHR could not be reached']);
  const draft = await call(system, session, 'GET', session.api);
  expect(draft.status).toBe(200);
  expect(draft.body.discussion.answers[itemId].value).toBe('Riverside Pain Clinic');
  // Saving does not need the EHR.
  const saved = await call(system, session, 'PUT', `${session.api}/answers`, { version, answers: { [itemId]: { value: 'Riverside, building C' } } });
  expect(saved.status).toBe(200);
  expectNoPhiOrToken([JSON.stringify(refresh.body), JSON.stringify(failed)], patientName, patient);

  await proxy.up();
  expect((await call(system, session, 'GET', session.api)).body.discussion.answers[itemId].value).toBe('Riverside, building C');
});

test(`I2: an EHR that holds its answer for ${HOLD_MS / 1000} s: each read gives up at its own deadline, the refresh answers long before the EHR would, and saving is not held up`, async () => {
  const patient = 'minimal-data-patient';
  const { session, itemId, version } = await sessionWithAnswer(patient, 'generic');
  proxy.mode = 'hold-headers';
  const refreshing = timedRefresh(session);
  // While the chart read waits on the EHR, the clinician's save goes through at once.
  const savedAt = Date.now();
  const saved = await call(system, session, 'PUT', `${session.api}/answers`, { version, answers: { [itemId]: { value: 'Saved while the EHR was slow' } } });
  expect(saved.status).toBe(200);
  expect(Date.now() - savedAt).toBeLessThan(2000);
  const refresh = await refreshing;
  expect(refresh.status).toBe(200);
  // The per-request deadline is 10 s; far under the minute the EHR would take (and undici's five minutes).
  expect(refresh.ms).toBeGreaterThanOrEqual(9_000);
  expect(refresh.ms).toBeLessThan(20_000);
  expect(proxy.faulted).toBeGreaterThan(0);
  expect(failedReads(await chartOf(session))).toContainEqual(['conditions', 'the EHR did not answer in time']);
}, 60_000);

test('I2: an EHR that sends its headers and then trickles the body a byte a second: the deadline covers the body, for chart reads and for the launch', async () => {
  const patient = 'arabic-rtl-name-patient';
  const { session } = await sessionWithAnswer(patient, 'epic');
  proxy.mode = 'trickle-body';
  const refresh = await timedRefresh(session);
  expect(refresh.status).toBe(200);
  expect(refresh.ms).toBeLessThan(20_000);
  expect(failedReads(await chartOf(session))).toContainEqual(['conditions', 'the EHR did not answer in time']);
  proxy.mode = 'pass';

  // The launch's discovery: a byte a second would be "ok" forever to a reader with only a headers timeout.
  const launch = await timedLaunch(`${trickleOrigin}/fhir`);
  expect(launch.response.status).toBe(504);
  expect(await pageText(launch.response)).toMatch(/The EHR did not answer in time/);
  expect(launch.ms).toBeLessThan(10_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(trickleAbandoned).toBe(1); // the app hung up; it did not wait for the end
}, 60_000);
