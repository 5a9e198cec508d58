/**
 * From the clinician's click on "Launch ITDD Consent" in the sandbox EHR simulator to the handout preview rendered
 * in the app, in Chromium, with the sandbox EHR answering every auth and FHIR request `ehr_delay_ms` late (a hospital
 * EHR is often slower). The sandbox records each request it answered, so the bench counts what one launch costs the
 * EHR: requests, and sequential round trips (the longest chain of requests each waiting for the one before).
 *
 * The naive path it replaces re-read the chart on every API call (context, discussion, handout info, preview); its
 * cost is derived from the read wave measured in this run (one "Refresh from the chart" = one wave).
 */
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../support/browser';
import { openSimulator } from '../support/simulator-page';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';
import type { EhrRequest } from './ehr-traffic';
import { sequentialRoundTrips } from './ehr-traffic';
import { percentile } from './pdf-bench';

export const EHR_DELAY_MS = Number(process.env.BENCH_EHR_DELAY_MS ?? 50);
const LAUNCHES = 7;
const PATIENT = 'anticoagulant-patient';
/**
 * What the path before the snapshot read from click to preview: /context one wave, /handout-info two and the
 * preview two (each read the chart for the discussion and again for the page), the OpenID configuration again at
 * every launch. On the critical path: the context wave, then the info and preview waves (their two reads ran side
 * by side).
 */
const NAIVE_WAVES_PER_LAUNCH = 5;
const NAIVE_SEQUENTIAL_WAVES = 2;

export interface LaunchFigures {
  ehr_delay_ms: number;
  launch_to_handout_p50_ms: number;
  launch_to_handout_p95_ms: number;
  sequential_ehr_round_trips: number;
  ehr_requests_per_launch: number;
  naive_sequential_ehr_round_trips: number;
  naive_ehr_requests_per_launch: number;
  naive_to_snapshot_requests_ratio: number;
  naive_to_snapshot_round_trips_ratio: number;
  reads_per_chart_wave: number;
}

/** Requests to the EHR's auth and FHIR endpoints (not the simulator's own page), in the window. */
function ehrRequestsBetween(system: TestSystem, from: number, to: number): EhrRequest[] {
  const sandbox = system.sandbox;
  if (sandbox === undefined) {
    throw new Error('the launch bench needs the sandbox EHR');
  }
  return sandbox.requests().filter((r) => r.start >= from && r.start <= to && !r.path.startsWith('/simulator') && r.path !== '/' && !r.path.startsWith('/assets'));
}

/** A resource the app window fetched: its path and when its answer ended, in epoch ms. */
interface PageTiming {
  path: string;
  start: number;
  end: number;
}

/** The app window's own timeline (navigation and every fetch), in epoch ms so it lines up with the sandbox's log. */
async function pageTimeline(page: Page): Promise<PageTiming[]> {
  return page.evaluate(() => {
    const origin = performance.timeOrigin;
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')] as PerformanceResourceTiming[];
    return entries.map((e) => ({ path: new URL(e.name).pathname, start: origin + e.startTime, end: origin + e.responseEnd }));
  });
}

/**
 * Where one launch's time went, in ms from the click: the EHR's authorize, token and read wave (from the sandbox's
 * log), then the app window's shell, script, chart context, handout facts and preview (from its own timeline).
 */
export interface LaunchPhases {
  authorize_start: number;
  token_end: number;
  wave_start: number;
  wave_end: number;
  shell_end: number;
  script_end: number;
  context_end: number;
  handout_fetches_end: number;
  rendered: number;
}

const PHASES: ReadonlyArray<keyof LaunchPhases> = ['authorize_start', 'token_end', 'wave_start', 'wave_end', 'shell_end', 'script_end', 'context_end', 'handout_fetches_end', 'rendered'];

function phasesOf(clickedEpoch: number, doneEpoch: number, ehr: readonly EhrRequest[], toEpoch: (t: number) => number, timeline: readonly PageTiming[]): LaunchPhases {
  const at = (t: number | undefined): number => (t === undefined ? Number.NaN : Math.round(t - clickedEpoch));
  const fhir = ehr.filter((r) => !r.path.startsWith('/auth/'));
  const last = (match: (path: string) => boolean): number | undefined => {
    const ends = timeline.filter((t) => match(t.path)).map((t) => t.end);
    return ends.length === 0 ? undefined : Math.max(...ends);
  };
  return {
    authorize_start: at(toEpoch(ehr.find((r) => r.path === '/auth/authorize')?.start ?? Number.NaN)),
    token_end: at(toEpoch(ehr.find((r) => r.path === '/auth/token')?.end ?? Number.NaN)),
    wave_start: at(toEpoch(Math.min(...fhir.map((r) => r.start)))),
    wave_end: at(toEpoch(Math.max(...fhir.map((r) => r.end)))),
    shell_end: at(last((p) => /^\/app\/[^/]+$/.test(p))),
    script_end: at(last((p) => p.endsWith('.js'))),
    // The chart view's data comes with the app page; a `/context` fetch is made only when it did not.
    context_end: at(last((p) => p.endsWith('/context')) ?? last((p) => /^\/app\/[^/]+$/.test(p))),
    handout_fetches_end: at(last((p) => p.includes('/handout') || p.includes('/preview') || p.includes('/discussion'))),
    rendered: at(doneEpoch),
  };
}

function medianPhases(all: readonly LaunchPhases[]): LaunchPhases {
  return Object.fromEntries(PHASES.map((k) => [k, Math.round(percentile(all.map((p) => p[k]), 50))])) as unknown as LaunchPhases;
}

async function previewRendered(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const frame = document.querySelector<HTMLIFrameElement>('#handout-preview');
    return frame?.contentDocument?.querySelector('h1') !== null && frame?.contentDocument?.readyState === 'complete';
  }, { timeout: 30_000 });
}

/** One launch timed from the click: the app window opens on the chart, the clinician opens the Handout tab. */
async function timedLaunch(browser: Browser, system: TestSystem): Promise<{ ms: number; requests: EhrRequest[]; phases: LaunchPhases }> {
  const simulator = await openSimulator(browser, system.sandboxUrl ?? '', { patient: PATIENT, vendor: 'generic' });
  const opened = browser.waitForTarget((t) => t.opener() === simulator.target());
  const clicked = performance.now();
  await simulator.click('#launch');
  const page = (await (await opened).page()) as Page;
  await page.waitForSelector('#tab-button-handout', { timeout: 30_000 });
  await page.click('#tab-button-handout');
  await previewRendered(page);
  const done = performance.now();
  const requests = ehrRequestsBetween(system, clicked, done);
  const toEpoch = (t: number): number => performance.timeOrigin + t;
  const phases = phasesOf(toEpoch(clicked), toEpoch(done), requests, toEpoch, await pageTimeline(page));
  await Promise.all([page.close(), simulator.close()]);
  return { ms: done - clicked, requests, phases };
}

/** The requests one deliberate re-read of the chart makes: the size of a read wave. */
async function readsPerWave(browser: Browser, system: TestSystem): Promise<number> {
  const simulator = await openSimulator(browser, system.sandboxUrl ?? '', { patient: PATIENT, vendor: 'generic' });
  const opened = browser.waitForTarget((t) => t.opener() === simulator.target());
  await simulator.click('#launch');
  const page = (await (await opened).page()) as Page;
  await page.waitForSelector('#refresh-chart', { timeout: 30_000 });
  const before = performance.now();
  await page.click('#refresh-chart');
  await page.waitForSelector('#chart-changes', { timeout: 30_000 });
  const wave = ehrRequestsBetween(system, before, performance.now()).length;
  await Promise.all([page.close(), simulator.close()]);
  return wave;
}

/** The figures, and the median launch's phases (ms from the click) for the readable report. */
export async function measureLaunch(): Promise<{ figures: LaunchFigures; phases: LaunchPhases }> {
  const system = await startTestSystem({ LOG_LEVEL: 'warn', SANDBOX_LATENCY_MS: String(EHR_DELAY_MS), PDF_WARM: 'off' });
  const chromium = await launchBrowser();
  try {
    await timedLaunch(chromium.browser, system); // warms discovery, the EHR's keys, the app and Chromium
    const runs: Array<{ ms: number; requests: EhrRequest[]; phases: LaunchPhases }> = [];
    for (let i = 0; i < LAUNCHES; i += 1) {
      runs.push(await timedLaunch(chromium.browser, system));
    }
    const wave = await readsPerWave(chromium.browser, system);
    const times = runs.map((r) => r.ms);
    const requests = Math.max(...runs.map((r) => r.requests.length));
    const roundTrips = Math.max(...runs.map((r) => sequentialRoundTrips(r.requests)));
    // Naive: the same authorize and token, the OpenID configuration fetched again each launch, and a wave per read.
    const naiveRequests = 2 + 1 + NAIVE_WAVES_PER_LAUNCH * wave;
    const naiveRoundTrips = 3 + NAIVE_SEQUENTIAL_WAVES;
    const figures: LaunchFigures = {
      ehr_delay_ms: EHR_DELAY_MS,
      launch_to_handout_p50_ms: Math.round(percentile(times, 50)),
      launch_to_handout_p95_ms: Math.round(percentile(times, 95)),
      sequential_ehr_round_trips: roundTrips,
      ehr_requests_per_launch: requests,
      naive_sequential_ehr_round_trips: naiveRoundTrips,
      naive_ehr_requests_per_launch: naiveRequests,
      naive_to_snapshot_requests_ratio: Math.round((naiveRequests / requests) * 10) / 10,
      naive_to_snapshot_round_trips_ratio: Math.round((naiveRoundTrips / roundTrips) * 10) / 10,
      reads_per_chart_wave: wave,
    };
    return { figures, phases: medianPhases(runs.map((r) => r.phases)) };
  } finally {
    await chromium.close();
    await system.close();
  }
}
