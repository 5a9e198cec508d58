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
import { filingBenchmark } from './filing-bench';
import { pdfRenderBenchmark } from './pdf-bench';

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
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchReport>;
}

/** The benchmarks, in the order they run. */
const BENCHMARKS: readonly Benchmark[] = [pdfRenderBenchmark, filingBenchmark];

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
  for (const benchmark of BENCHMARKS) {
    const started = performance.now();
    process.stdout.write(`running ${benchmark.name}…\n`);
    const report = await benchmark.run();
    results.push({ name: benchmark.name, description: benchmark.description, seconds: Math.round((performance.now() - started) / 100) / 10, ...report });
  }
  const context: RunContext = { date: new Date().toISOString(), machine: machine(), loadAverageBefore: loadBefore, loadAverageAfter: load() };
  const dir = path.join(projectRoot(), 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify({ ...context, results }, null, 2)}\n`);
  const text = markdown(results, context);
  fs.writeFileSync(path.join(dir, 'latest.md'), text);
  process.stdout.write(`${text}\nwritten to bench-results/latest.json and bench-results/latest.md\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
