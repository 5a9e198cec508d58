/**
 * `npm run soak` — 50 simulated clinicians at once, each going round launch → chart context → handout preview →
 * PDF → checklist and attestation → filing, for at least two minutes, through two app instances behind nginx on one
 * PostgreSQL database against the sandbox EHR (the cluster of the two-instance tests: tests/support/cluster.ts).
 *
 * It stops by itself: after a warm-up (not counted; the memory baseline is taken at its end, under the same load),
 * the measured period, then a bounded drain of the rounds still running. It prints and writes to
 * `bench/soak-results.json`: requests, errors, duplicate notes in the chart, p95 per step, Node RSS per instance at
 * the start and the end of the measured period, and every log line (both instances, nginx) holding a canary: a
 * synthetic patient's name or birth date or any token the sandbox EHR issued. It exits 1 when a target is missed:
 * 0 errors, 0 duplicates, 0 canary hits, end RSS ≤ 1.2 × start.
 *
 * Settings (environment): SOAK_CLINICIANS (50), SOAK_SECONDS (120, at least 120 unless SOAK_SHORT=1 for a trial),
 * SOAK_THINK_MS (10 000: a clinician's pause between steps, ±50 %; a real consent discussion takes many minutes,
 * so 50 clinicians at 10 s a step are far busier than a clinic's 50), SOAK_WARMUP_SECONDS (seven pauses + 20 s,
 * 90 by default: one whole round of every clinician before the memory baseline).
 * The sandbox EHR runs in this process, so its work shares this event loop with the clients: latencies are the
 * whole system's on this machine, not the app's alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSearchRequest } from '@medplum/core';
import type { DocumentReference } from '@medplum/fhirtypes';
import { projectRoot } from '../../server/project-root';
import type { Cluster } from '../support/cluster';
import { canaryHits, startCluster } from '../support/cluster';
import { CookieAgent } from '../support/cookie-agent';
import { launchAs } from '../support/launch-helpers';
import { syntheticIndex } from '../support/synthetic-patients';
import { rssMb, treePssMb } from './process-memory';

const numberFrom = (name: string, fallback: number): number => {
  const raw = process.env[name];
  return raw === undefined || raw === '' || !Number.isFinite(Number(raw)) ? fallback : Number(raw);
};

const CLINICIANS = numberFrom('SOAK_CLINICIANS', 50);
const SECONDS = Math.max(process.env.SOAK_SHORT === '1' ? 5 : 120, numberFrom('SOAK_SECONDS', 120));
const THINK_MS = numberFrom('SOAK_THINK_MS', 10_000);
/** One whole round of every clinician (seven pauses and the work) before the memory baseline is taken. */
const WARMUP_SECONDS = numberFrom('SOAK_WARMUP_SECONDS', Math.round((7 * THINK_MS) / 1000 + 20));
/** The clinicians arrive one after another over this long (inside the warm-up when there is one). */
const ARRIVALS_MS = Math.min(15_000, Math.max(4000, WARMUP_SECONDS * 500));
/** Rounds still running at the end get this long; then the soak stops anyway and counts them as errors. */
const DRAIN_MS = 9 * THINK_MS + 60_000;
/** Each request's own deadline: a hung request is an error, never a hung soak. */
const REQUEST_TIMEOUT_MS = 60_000;
/** A "too many, wait" answer (429) is waited out and asked again at most this often per request. */
const MAX_PAUSES = 5;
/** A read or a filing the server failed (502–504) is tried once more after this long, as a clinician clicks "Try again". */
const TRY_AGAIN_MS = 5000;
/** Clinicians who may attest and file (fhir-resources/sandbox/practitioners.json). */
const SIGNERS = ['itdd-dr-rivera', 'itdd-dr-chen', 'itdd-np-okafor'];
const STEPS = ['launch', 'context', 'handout', 'pdf', 'checklist', 'attest', 'file'] as const;
type Step = (typeof STEPS)[number];
/**
 * Per-address budgets raised for this one run: every simulated clinician comes from 127.0.0.1 through nginx, where
 * a clinic would have many addresses (or one NAT, which the defaults are sized for). The per-launch budgets stay.
 */
const SOAK_RATE_LIMITS = {
  launchPerAddress: { points: 1_000_000, seconds: 60 },
  callbackPerAddress: { points: 1_000_000, seconds: 60 },
  apiPerAddress: { points: 1_000_000, seconds: 60 },
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const think = (): Promise<void> => sleep(THINK_MS * (0.5 + Math.random()));

interface Counters {
  requests: number;
  pauses429: number;
  /** Every 5xx answer, including those a retry then got past. */
  serverErrors: number;
  retries: number;
  errors: number;
  rounds: number;
  filed: string[];
  errorSamples: string[];
  timings: Record<Step, number[]>;
}

function newCounters(): Counters {
  return { requests: 0, pauses429: 0, serverErrors: 0, retries: 0, errors: 0, rounds: 0, filed: [], errorSamples: [], timings: Object.fromEntries(STEPS.map((s) => [s, []])) as unknown as Record<Step, number[]> };
}

class StepError extends Error {}

/** A clinician's browser: counts requests, waits out a 429 as the page tells the clinician to, times out a hang. */
class SoakAgent extends CookieAgent {
  constructor(private readonly counters: () => Counters) {
    super();
  }

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    let retried = false;
    for (let pause = 0; ; pause += 1) {
      this.counters().requests += 1;
      const response = await super.request(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      if (response.status >= 500) {
        this.counters().serverErrors += 1;
      }
      // "Try again", as the page says: a read, or the filing (which the write ledger makes safe to send again), that
      // failed on the server is asked once more after a moment.
      const retriable = (init.method ?? 'GET') === 'GET' || url.endsWith('/discussion/file');
      const tryAgain = response.status >= 502 && response.status <= 504 && retriable && !retried;
      if (tryAgain) {
        retried = true;
        this.counters().retries += 1;
        await response.arrayBuffer();
        await sleep(TRY_AGAIN_MS);
        continue;
      }
      if (response.status !== 429 || pause >= MAX_PAUSES) {
        return response;
      }
      this.counters().pauses429 += 1;
      await response.arrayBuffer();
      await sleep(Math.min(10, Number(response.headers.get('retry-after') ?? 2) || 2) * 1000);
    }
  }
}

async function expectStatus(response: Response, expected: number[], what: string): Promise<Response> {
  if (!expected.includes(response.status)) {
    const text = (await response.text()).replace(/\s+/g, ' ').slice(0, 160);
    throw new StepError(`${what}: HTTP ${response.status} ${text}`);
  }
  return response;
}

interface Clinician {
  user: string;
  patient: string;
  vendor: 'generic' | 'epic';
}

/** Distinct (clinician, patient, EHR) so no two simulated clinicians share one discussion. */
function clinicians(n: number): Clinician[] {
  const patients = syntheticIndex.map((e) => e.patientId);
  return Array.from({ length: n }, (_, i) => ({
    user: SIGNERS[i % SIGNERS.length] ?? 'itdd-dr-rivera',
    patient: patients[Math.floor(i / SIGNERS.length) % patients.length] ?? 'anticoagulant-patient',
    vendor: Math.floor(i / (SIGNERS.length * patients.length)) % 2 === 0 ? 'generic' : 'epic',
  }));
}

/** What a clinician ticks: a confirmation confirmed, a choice's first option, a short text otherwise. */
function answerFor(item: { kind: string; options?: Array<{ code: string }> }): boolean | string {
  if (item.kind === 'confirm') {
    return true;
  }
  return item.kind === 'choice' ? (item.options?.[0]?.code ?? '') : 'Discussed in the soak.';
}

/** One round of one clinician; each step's time goes into `counters` (the period's when the step began). */
async function round(cluster: Cluster, who: Clinician, counters: () => Counters): Promise<void> {
  const agent = new SoakAgent(counters);
  const timed = async <T>(step: Step, work: () => Promise<T>): Promise<T> => {
    const into = counters();
    const started = performance.now();
    const value = await work();
    into.timings[step].push(performance.now() - started);
    return value;
  };
  const launch = await timed('launch', async () => {
    counters().requests += 1; // the simulator's launch request
    const done = await launchAs(cluster, { user: who.user, patient: who.patient, vendor: who.vendor }, agent);
    await expectStatus(done.finalResponse, [200], 'launch');
    return done;
  });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await launch.finalResponse.text())?.[1] ?? '';
  const api = `${cluster.appUrl}/api/launches/${launch.launchId}`;
  const json = { accept: 'application/json' };
  const write = { ...json, 'content-type': 'application/json', origin: cluster.appUrl, 'x-csrf-token': csrf };
  await timed('context', async () => (await expectStatus(await agent.request(`${api}/context`, { headers: json }), [200], 'context')).arrayBuffer());
  await think();
  await timed('handout', async () => (await expectStatus(await agent.request(`${cluster.appUrl}/app/${launch.launchId}/handout`), [200], 'handout preview')).text());
  await think();
  await timed('pdf', async () => {
    const body = await (await expectStatus(await agent.request(`${api}/handout.pdf`), [200], 'PDF')).arrayBuffer();
    if (Buffer.from(body).subarray(0, 5).toString() !== '%PDF-') {
      throw new StepError('PDF: the answer is not a PDF');
    }
  });
  await think();
  const version = await timed('checklist', async () => {
    const view = (await (await expectStatus(await agent.request(`${api}/discussion`, { headers: json }), [200], 'checklist')).json()) as {
      discussion: { version: number };
      checklist: { items: Array<{ id: string; kind: string; filledBy?: string; requiredWhen?: unknown; options?: Array<{ code: string }> }> };
    };
    const answers: Record<string, { value: boolean | string }> = {};
    for (const item of view.checklist.items) {
      if (item.filledBy !== 'app' && item.requiredWhen === undefined) {
        answers[item.id] = { value: answerFor(item) };
      }
    }
    const saved = await agent.request(`${api}/discussion/answers`, { method: 'PUT', headers: write, body: JSON.stringify({ version: view.discussion.version, answers }) });
    return ((await (await expectStatus(saved, [200], 'checklist save')).json()) as { discussion: { version: number } }).discussion.version;
  });
  await think();
  const discussionId = await timed('attest', async () => {
    const attested = await agent.request(`${api}/discussion/attest`, { method: 'POST', headers: write, body: JSON.stringify({ version }) });
    return ((await (await expectStatus(attested, [200], 'attest')).json()) as { discussion: { id: string } }).discussion.id;
  });
  await think();
  await timed('file', async () => {
    const filed = await agent.request(`${api}/discussion/file`, { method: 'POST', headers: write, body: JSON.stringify({ discussionId }) });
    let state = (await (await expectStatus(filed, [200, 202], 'file')).json()) as { final: boolean; filed: boolean; state: string };
    const until = Date.now() + REQUEST_TIMEOUT_MS;
    while (!state.final && Date.now() < until) {
      await sleep(500);
      state = (await (await expectStatus(await agent.request(`${api}/discussion/filing?discussionId=${discussionId}`, { headers: json }), [200], 'filing state')).json()) as typeof state;
    }
    if (!state.filed) {
      throw new StepError(`file: ended ${state.state}`);
    }
  });
  counters().filed.push(discussionId);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) {
    return 0;
  }
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
}

/** Every note in the sandbox chart, counted by the discussion its text names. */
async function notesPerDiscussion(cluster: Cluster): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const repo = cluster.sandbox.sandbox.repo;
  for (const patient of cluster.sandbox.sandbox.patients) {
    const docs = await repo.searchResources(parseSearchRequest<DocumentReference>(`DocumentReference?patient=Patient/${patient.patientId}&_count=10000`));
    for (const doc of docs) {
      const text = doc.content.map((c) => Buffer.from(c.attachment.data ?? '', 'base64').toString('utf8')).join('\n');
      const id = /Discussion ID: urn:uuid:([0-9a-f-]{36})/.exec(text)?.[1];
      if (id !== undefined) {
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
  }
  return counts;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = os.loadavg().map((l) => Number(l.toFixed(2)));
  process.stdout.write(`soak: ${CLINICIANS} clinicians, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s measured, think ${THINK_MS} ms; starting two instances behind nginx…\n`);
  const cluster = await startCluster({ env: { RATE_LIMITS: JSON.stringify(SOAK_RATE_LIMITS), LOG_LEVEL: 'debug' } });
  const stopOnSignal = (): void => {
    void cluster.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const warm = newCounters();
    const measured = newCounters();
    let period: Counters = warm;
    const now = Date.now();
    const measureFrom = now + WARMUP_SECONDS * 1000;
    const stopAt = measureFrom + SECONDS * 1000;
    let rssStart: number[] = [];
    let pssStart: number[] = [];
    const who = clinicians(CLINICIANS);
    const loops = who.map(async (clinician, i) => {
      // Staggered arrivals over the first seconds, as a clinic's morning does, not one burst.
      await sleep((i * ARRIVALS_MS) / CLINICIANS);
      while (Date.now() < stopAt) {
        const counters = period;
        try {
          await round(cluster, clinician, () => counters);
          counters.rounds += 1;
        } catch (error) {
          counters.errors += 1;
          if (counters.errorSamples.length < 20) {
            counters.errorSamples.push(`${clinician.user} ${clinician.patient} ${clinician.vendor}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        await think();
      }
    });
    await sleep(Math.max(0, measureFrom - Date.now()));
    period = measured;
    rssStart = cluster.instances.map((i) => rssMb(i.pid));
    pssStart = cluster.instances.map((i) => treePssMb(i.pid));
    process.stdout.write(`soak: warm-up done (${warm.rounds} rounds, ${warm.errors} errors); measuring…\n`);
    // Node RSS of each instance every 10 s of the measured period: a plateau or a climb.
    const samples: number[][] = cluster.instances.map(() => []);
    while (Date.now() < stopAt) {
      await sleep(Math.min(10_000, Math.max(0, stopAt - Date.now())));
      cluster.instances.forEach((instance, i) => samples[i]?.push(rssMb(instance.pid)));
    }
    const rssEnd = cluster.instances.map((i) => rssMb(i.pid));
    const pssEnd = cluster.instances.map((i) => treePssMb(i.pid));
    process.stdout.write('soak: measured period over; waiting for the rounds still running…\n');
    const drained = await Promise.race([Promise.all(loops).then(() => true), sleep(DRAIN_MS).then(() => false)]);
    if (!drained) {
      measured.errors += 1;
      measured.errorSamples.push(`rounds still running ${DRAIN_MS / 1000} s after the end`);
    }

    const notes = await notesPerDiscussion(cluster);
    const filed = [...warm.filed, ...measured.filed];
    const duplicates = [...notes.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const missing = filed.filter((id) => !notes.has(id)).length;
    const logLines = [...cluster.instances.flatMap((i) => i.logLines), ...cluster.proxyLogLines()];
    const canaries = cluster.canaries();
    const hits = canaryHits(logLines, canaries);
    const steps = Object.fromEntries(STEPS.map((s) => [s, { n: measured.timings[s].length, p50_ms: percentile(measured.timings[s], 50), p95_ms: percentile(measured.timings[s], 95), max_ms: percentile(measured.timings[s], 100) }]));
    const instances = cluster.instances.map((instance, i) => ({
      instance: instance.name,
      rss_mb_start: rssStart[i] ?? 0,
      rss_mb_end: rssEnd[i] ?? 0,
      rss_ratio: Number(((rssEnd[i] ?? 0) / Math.max(1, rssStart[i] ?? 1)).toFixed(3)),
      rss_mb_every_10s: samples[i] ?? [],
      pss_mb_with_chromium_start: pssStart[i] ?? 0,
      pss_mb_with_chromium_end: pssEnd[i] ?? 0,
      log_lines: instance.logLines.length,
      requests_served: instance.logLines.filter((l) => l.includes('"http.request"')).length,
    }));
    const results = {
      started_at: startedAt.toISOString(),
      clinicians: CLINICIANS,
      warmup_seconds: WARMUP_SECONDS,
      measured_seconds: SECONDS,
      think_ms: THINK_MS,
      cpus: os.cpus().length,
      load_average: os.loadavg().map((l) => Number(l.toFixed(2))),
      requests: measured.requests,
      rounds_completed: measured.rounds,
      errors: measured.errors,
      server_error_answers: measured.serverErrors,
      reads_tried_again: measured.retries,
      pauses_429: measured.pauses429,
      error_samples: measured.errorSamples,
      load_average_at_start: loadAtStart,
      warmup: { requests: warm.requests, rounds: warm.rounds, errors: warm.errors, error_samples: warm.errorSamples },
      notes_filed: filed.length,
      notes_in_chart: notes.size,
      duplicate_documents: duplicates,
      filed_but_missing_in_chart: missing,
      steps,
      instances,
      canaries_checked: canaries.length,
      log_lines_scanned: logLines.length,
      canary_hits: hits.length,
      canary_hit_samples: hits.slice(0, 10),
    };
    // The instances' logs beside the figures, to read what went wrong (they hold no PHI: the canary scan says so).
    for (const instance of cluster.instances) {
      fs.writeFileSync(path.join(projectRoot(), 'bench-results', `soak-instance-${instance.name}.log`), `${instance.logLines.join('\n')}\n`);
    }
    const out = path.join(projectRoot(), 'bench', 'soak-results.json');
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    const lines = [
      `requests ${results.requests} (measured ${SECONDS} s; warm-up ${warm.requests}), rounds ${results.rounds_completed}, errors ${results.errors} (warm-up ${warm.errors})`,
      `  5xx answers ${measured.serverErrors} (reads tried again ${measured.retries}), 429 pauses ${results.pauses_429}; load average ${results.load_average.join(' ')} on ${results.cpus} CPUs`,
      `notes filed ${results.notes_filed}, in the chart ${results.notes_in_chart}, duplicate documents ${duplicates}, filed but missing ${missing}`,
      ...STEPS.map((s) => `  ${s.padEnd(9)} n=${String(steps[s]?.n).padStart(5)}  p50 ${String(steps[s]?.p50_ms).padStart(6)} ms  p95 ${String(steps[s]?.p95_ms).padStart(6)} ms  max ${String(steps[s]?.max_ms).padStart(6)} ms`),
      ...instances.map((i) => `  instance ${i.instance}: RSS ${i.rss_mb_start} → ${i.rss_mb_end} MB (× ${i.rss_ratio}; every 10 s ${i.rss_mb_every_10s.join(' ')}); with Chromium (PSS) ${i.pss_mb_with_chromium_start} → ${i.pss_mb_with_chromium_end} MB; ${i.requests_served} requests served`),
      `canary: ${canaries.length} values (patient names, birth dates, issued tokens) in ${logLines.length} log lines: ${hits.length} hits`,
      ...results.error_samples.slice(0, 5).map((e) => `  error: ${e}`),
      ...hits.slice(0, 5).map((h) => `  canary hit: ${h.canary.slice(0, 12)}… in ${h.line.slice(0, 160)}`),
      `written to ${path.relative(projectRoot(), out)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const met = results.errors === 0 && duplicates === 0 && missing === 0 && hits.length === 0 && instances.every((i) => i.rss_ratio <= 1.2);
    process.stdout.write(met ? 'soak: every target met\n' : 'soak: a target was missed (errors, duplicates, canary hits or memory growth)\n');
    return met ? 0 : 1;
  } finally {
    await cluster.close();
  }
}

// The whole run is bounded: start-up, warm-up, the measured period, the drain, the counting and the cleanup.
const hardStop = setTimeout(() => {
  process.stderr.write('soak: did not finish in time; stopping\n');
  process.exit(2);
}, (WARMUP_SECONDS + SECONDS) * 1000 + DRAIN_MS + 300_000);
hardStop.unref();

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
