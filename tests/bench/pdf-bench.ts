/**
 * PDF render time: the warm pool against the bare-Chromium floor, measured in the same run on the same document.
 *
 * The floor is one browser with a fresh page per render doing only `setContent` + `pdf` (same print settings, no
 * pool logic, no hardening). The pool adds JavaScript off, request interception, deadlines, queueing and the page
 * reset after each render, and saves the page creation. Floor and pool are measured in alternating rounds so that
 * a change in the machine's load hits both alike. A third case, a fresh incognito context per render, is the
 * isolation alternative the pool does not use; it is measured so the choice stays honest, and so is the other pool
 * shape (two browsers × 2 pages against the app's one × 2).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import { chartReadsFromBundle, launchContextFromBundle } from '../../server/chart/chart-reads-from-bundle';
import { buildPatientContext } from '../../server/chart/patient-context';
import { servedHandout } from '../support/served-handout';
import { PdfRenderer } from '../../server/handout/pdf';
import type { PdfPoolShape } from '../../server/handout/pdf';
import type { LaunchedChromium } from '../../server/handout/pdf-browser';
import { launchChromium } from '../../server/handout/pdf-browser';
import { pdfOptions } from '../../server/handout/pdf-templates';
import { renderHandoutHtml } from '../../server/handout/render-html';
import { projectRoot } from '../../server/project-root';
import type { BenchReport, BenchRow, Benchmark } from './run';

const TARGET_RATIO = 1.3;
const TARGET_PER_SECOND = 6;
const ROUNDS = 3;
const PER_ROUND_C1 = 10;
const PER_ROUND_C4 = 24;
const WARMUP = 4;

interface Timing {
  latencies: number[];
  seconds: number;
}

type Render = () => Promise<unknown>;

/** The handout of a typical synthetic patient (anticoagulant: one tailored caution), as the app would print it. */
function benchDocument(): string {
  const file = path.join(projectRoot(), 'fhir-resources', 'patients', 'anticoagulant.json');
  const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as Bundle;
  const launch = launchContextFromBundle(bundle);
  if (launch === undefined) {
    throw new Error('the anticoagulant bundle has no single patient');
  }
  const context = buildPatientContext(chartReadsFromBundle(bundle, launch), new Date());
  const input = servedHandout(context, { date: '2026-11-25', patientId: launch.patientId, printTarget: 'pdf' });
  return renderHandoutHtml(input);
}

async function timed(render: Render, concurrency: number, total: number): Promise<Timing> {
  const latencies: number[] = [];
  let started = 0;
  const begin = performance.now();
  const worker = async (): Promise<void> => {
    while (started < total) {
      started += 1;
      const t0 = performance.now();
      await render();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, seconds: (performance.now() - begin) / 1000 };
}

function merge(timings: readonly Timing[]): Timing {
  return { latencies: timings.flatMap((t) => t.latencies), seconds: timings.reduce((sum, t) => sum + t.seconds, 0) };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

function row(label: string, concurrency: number, timing: Timing): BenchRow {
  return {
    case: label,
    concurrency,
    renders: timing.latencies.length,
    p50Ms: Math.round(percentile(timing.latencies, 50)),
    p95Ms: Math.round(percentile(timing.latencies, 95)),
    pdfsPerSecond: Math.round((timing.latencies.length / timing.seconds) * 100) / 100,
  };
}

/** Bare Chromium: a fresh page (or a fresh incognito context) per render, `setContent` + `pdf`, nothing else. */
function bareRender(chromium: LaunchedChromium, html: string, freshContext: boolean): Render {
  return async () => {
    const context = freshContext ? await chromium.browser.createBrowserContext() : chromium.browser.defaultBrowserContext();
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    await page.pdf(pdfOptions(30_000));
    await (freshContext ? context.close() : page.close());
  };
}

/** The floor and each pool in alternating rounds at one concurrency, so a change of load hits them alike. */
async function alternate(renders: readonly Render[], concurrency: number, perRound: number): Promise<Timing[]> {
  const timings: Timing[][] = renders.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [i, render] of renders.entries()) {
      timings[i]?.push(await timed(render, concurrency, perRound));
    }
  }
  return timings.map(merge);
}

/**
 * Beside the pool shape the app runs (`PdfRenderer`'s defaults, 1 browser × 2 pages), two browsers × 2 pages: the
 * shape it ran before, which holds a second browser's memory; measured in the same run, it shows what that buys.
 */
const OTHER_SHAPE = { size: 2, pagesPerBrowser: 2 } as const;

async function runPdfBench(): Promise<BenchReport> {
  const html = benchDocument();
  const [chromium, pool, other] = await Promise.all([launchChromium(), PdfRenderer.start(), PdfRenderer.start(OTHER_SHAPE)]);
  try {
    const floor = bareRender(chromium, html, false);
    const pooled: Render = () => pool.render(html);
    const otherPooled: Render = () => other.render(html);
    const sample = await pool.render(html);
    await timed(floor, 1, WARMUP);
    await timed(pooled, 4, WARMUP * 2);
    await timed(otherPooled, 4, WARMUP * 2);
    const [floor1, pool1, other1] = await alternate([floor, pooled, otherPooled], 1, PER_ROUND_C1) as [Timing, Timing, Timing];
    const [floor4, pool4, other4] = await alternate([floor, pooled, otherPooled], 4, PER_ROUND_C4) as [Timing, Timing, Timing];
    const context1 = await timed(bareRender(chromium, html, true), 1, PER_ROUND_C1);
    const shape = (s: PdfPoolShape): string => `${s.size} browser${s.size === 1 ? '' : 's'} × ${s.pagesPerBrowser} pages`;
    const rows = [
      row('bare Chromium floor (fresh page)', 1, floor1),
      row(`pool (${shape(pool.shape())}, the app's)`, 1, pool1),
      row(`pool (${shape(OTHER_SHAPE)}, not used)`, 1, other1),
      row('bare Chromium floor (fresh page)', 4, floor4),
      row(`pool (${shape(pool.shape())}, the app's)`, 4, pool4),
      row(`pool (${shape(OTHER_SHAPE)}, not used)`, 4, other4),
      row('fresh incognito context per render (not used)', 1, context1),
    ];
    const ratio = Math.round((percentile(pool1.latencies, 50) / percentile(floor1.latencies, 50)) * 100) / 100;
    const perSecond = Number(rows[4]?.pdfsPerSecond ?? 0);
    const pages = (sample.pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
    return {
      rows,
      checks: [
        { target: 'pool p50 / floor p50 at concurrency 1', value: ratio, limit: TARGET_RATIO, met: ratio <= TARGET_RATIO },
        { target: 'pool PDFs per second at concurrency 4', value: perSecond, limit: TARGET_PER_SECOND, met: perSecond >= TARGET_PER_SECOND },
      ],
      figures: {
        pdf_p50_ms: Math.round(percentile(pool1.latencies, 50)),
        pdf_floor_p50_ms: Math.round(percentile(floor1.latencies, 50)),
        pdf_per_s_c4: perSecond,
      },
      notes: [
        `Document: the anticoagulant synthetic patient's handout, ${pages} pages, ${Math.round(html.length / 1024)} KiB of HTML, tagged PDF, running header and footer from its CSS page-margin boxes.`,
        'Latency of a pool render includes queue wait; the page reset after each render is off the caller\'s path but uses the same CPU.',
      ],
    };
  } finally {
    await Promise.all([chromium.kill(), pool.close(), other.close()]);
  }
}

export const pdfRenderBenchmark: Benchmark = {
  name: 'pdf-render',
  description:
    'Handout PDF render time: the warm pool against the bare-Chromium floor (one browser, fresh page, setContent + pdf), alternating rounds in one run.',
  run: runPdfBench,
};
