/**
 * `npm run bench` — runs the named benchmarks one after another, prints their figures and writes them to
 * `bench-results/latest.json` and a readable `bench-results/latest.md`.
 *
 * Each benchmark returns rows (one per measured case) and checks (a target and whether it was met). Timings on a
 * shared machine move with its load, so the load average before and after is written beside the figures, and a
 * benchmark measures its own baseline in the same run rather than comparing against a number from another day.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../server/project-root';
import { auditBenchmark } from './audit-bench';
import { clientJsGzipKb } from './client-size';
import { dashboardBenchmark } from './dashboard-bench';
import { filingBenchmark } from './filing-bench';
import { measureLaunch } from './launch-bench';
import { pdfRenderBenchmark } from './pdf-bench';
import { measureProductionMemory } from './production-memory';

export type BenchRow = { case: string } & Record<string, number | string>;

export interface BenchCheck {
  target: string;
  value: number;
  limit: number;
  met: boolean;
}

export interface BenchReport {
  rows: BenchRow[];
  checks: BenchCheck[];
  notes: string[];
  /** Named figures for `bench/results.json`. */
  figures?: Record<string, number | string>;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchReport>;
}

const check = (target: string, value: number, limit: number, atMost: boolean): BenchCheck => ({ target, value, limit, met: atMost ? value <= limit : value >= limit });

const launchBenchmark: Benchmark = {
  name: 'launch',
  description: 'From the click on "Launch ITDD Consent" in the sandbox simulator to the handout preview rendered, in Chromium, with the sandbox EHR answering every auth and FHIR request late; what one launch costs the EHR.',
  async run(): Promise<BenchReport> {
    const { figures: f, phases } = await measureLaunch();
    return {
      rows: [
        { case: `launch → handout preview (EHR +${f.ehr_delay_ms} ms per request)`, ...f },
        { case: 'where the time goes: median ms from the click at which each phase ended', ...phases },
      ],
      checks: [
        check('sequential EHR round trips per launch', f.sequential_ehr_round_trips, 3, true),
        check('EHR requests per launch', f.ehr_requests_per_launch, 12, true),
        check('launch to handout p50 (ms), limit 3 × delay + 300', f.launch_to_handout_p50_ms, 3 * f.ehr_delay_ms + 300, true),
      ],
      figures: { ...f },
      notes: ['Discovery, the OpenID configuration and the JWKS are cached by the warm-up launch; each timed launch is a new chart window.'],
    };
  },
};

const memoryBenchmark: Benchmark = {
  name: 'memory',
  description: 'The built app in its own process as production runs it (sandbox EHR off, in another process; PostgreSQL; warm Chromium pool): cold start, idle RSS, and memory with 10 clinicians mid-discussion.',
  async run(): Promise<BenchReport> {
    const f = await measureProductionMemory();
    const client = clientJsGzipKb();
    return {
      rows: [{ case: 'production-shaped app process', ...f, client_js_gzip_kb: client }],
      checks: [
        check('cold start (ms)', f.cold_start_ms, 3000, true),
        check('idle Node RSS (MB)', f.rss_mb_idle_node, 250, true),
        check('10 sessions, app + Chromium PSS (MB)', f.rss_mb_10_sessions, 600, true),
        check('client JS gzip (KB)', client, 100, true),
      ],
      figures: { ...f, client_js_gzip_kb: client },
      notes: [f.memory_measure],
    };
  },
};

const auditTrailBenchmark: Benchmark = {
  name: 'audit',
  description: 'Appends to the hash-chained audit trail (one locked transaction each) and the verifier, embedded and on PostgreSQL.',
  run: () => auditBenchmark(),
};

const dashboardQueryBenchmark: Benchmark = {
  name: 'dashboard',
  description: 'The compliance dashboard\'s filtered page at 100 000 discussions, embedded and on PostgreSQL.',
  run: () => dashboardBenchmark(),
};

/** The benchmarks, in the order they run. */
const BENCHMARKS: readonly Benchmark[] = [launchBenchmark, pdfRenderBenchmark, filingBenchmark, auditTrailBenchmark, dashboardQueryBenchmark, memoryBenchmark];

interface BenchResult extends BenchReport {
  name: string;
  description: string;
  seconds: number;
}

function machine(): Record<string, string | number> {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` };
}

function load(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

function markdownTable(rows: readonly BenchRow[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map((row) => line(columns.map((c) => String(row[c] ?? ''))))].join('\n');
}

type RunContext = Record<string, string | Record<string, string | number>>;

function markdown(results: readonly BenchResult[], context: RunContext): string {
  const sections = results.map((result) => {
    const checks = result.checks.map((c) => `- ${c.met ? 'met' : 'NOT met'}: ${c.target} — measured ${c.value}, target ${c.limit}`);
    const notes = result.notes.map((note) => `- ${note}`);
    return [`## ${result.name}`, '', result.description, '', markdownTable(result.rows), '', ...checks, '', ...notes, ''].join('\n');
  });
  const header = Object.entries(context).map(([key, value]) => `- ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return ['# Benchmarks (latest run)', '', ...header, '', ...sections].join('\n');
}

async function main(): Promise<void> {
  const loadBefore = load();
  const results: BenchResult[] = [];
  // BENCH_ONLY=audit,pdf runs those alone and writes bench-results/only.json: results.json stays one whole run.
  const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
  for (const benchmark of BENCHMARKS.filter((b) => only === undefined || only.includes(b.name))) {
    const started = performance.now();
    process.stdout.write(`running ${benchmark.name}…\n`);
    const report = await benchmark.run();
    results.push({ name: benchmark.name, description: benchmark.description, seconds: Math.round((performance.now() - started) / 100) / 10, ...report });
  }
  const context: RunContext = { date: new Date().toISOString(), machine: machine(), loadAverageBefore: loadBefore, loadAverageAfter: load() };
  const dir = path.join(projectRoot(), 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  if (only !== undefined) {
    fs.writeFileSync(path.join(dir, 'only.json'), `${JSON.stringify({ ...context, results }, null, 2)}\n`);
    process.stdout.write(`${markdown(results, context)}\nwritten to bench-results/only.json\n`);
    return;
  }
  fs.writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify({ ...context, results }, null, 2)}\n`);
  const text = markdown(results, context);
  fs.writeFileSync(path.join(dir, 'latest.md'), text);
  // One object of named numbers from this run, for machines (the issue tracker, dashboards, regressions).
  const figures = Object.assign({}, ...results.map((r) => r.figures ?? {})) as Record<string, number | string>;
  const benchDir = path.join(projectRoot(), 'bench');
  fs.mkdirSync(benchDir, { recursive: true });
  fs.writeFileSync(path.join(benchDir, 'results.json'), `${JSON.stringify({ date: context.date, machine: context.machine, ...figures }, null, 2)}\n`);
  process.stdout.write(`${text}\nwritten to bench/results.json, bench-results/latest.json and bench-results/latest.md\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
