/**
 * `npm run render -- --bundle <FHIR Bundle JSON> [--out <file.pdf>] [--html <file.html>] [--flags <file.json>]
 *                    [--lang <code>] [--large-print] [--date YYYY-MM-DD | YYYY-MM-DDTHH:MM:SS±HH:MM]
 *                    [--checklist <answers.json> [--note <file.txt>] [--document-reference <profile>:<file.json>]...
 *                     [--clinician "Practitioner/<id>|Name"] [--discussion-id <uuid>]]`
 *
 * Prints the handout for a patient held in a FHIR Bundle (the shape of `fhir-resources/patients/*.json`) without
 * an EHR: the bundle is read as the launch reads would have answered, mapped to a PatientContext, tailored, and
 * rendered to PDF (and, on request, HTML) by the same code the app uses. `--flags` writes the tailoring flags with
 * their reasons, sources and chart evidence. Draft packs are printed with their DRAFT mark.
 *
 * With `--checklist`, the answers are attested as the app would (`render-discussion.ts`) and `--note` writes the note
 * text, `--document-reference` the DocumentReference for a write profile (`us-core`, `epic`, `oracle`; repeatable).
 * The PDF is rendered even without `--out`: the note records its SHA-256 and the US Core reference carries it.
 *
 * Reproducible: for a fixed `--date` (and the same bundle, answers, `--clinician`, content packs, app version and
 * Chromium build) the PDF, the note and the DocumentReferences are byte-identical across runs — the discussion id
 * is derived from the inputs (`--discussion-id` sets it) and the PDF's dates are set to the discussion time. Without
 * `--date` the time is now, so the id, the times and the hashes change with each run. With a bare date the
 * discussion is attested at 12:00 UTC that day, and the period (which the command cannot know) is that instant.
 *
 * Exit codes: 0 done, 2 bad arguments, a missing/invalid bundle or answers file (`bad_request`), answers that cannot
 * be attested or a DocumentReference that breaks its profile (`unprocessable`) — the message names what to fix, and
 * nothing is written; 1 anything else.
 */
import fs from 'node:fs';
import type { Bundle } from 'fhir/r4';
import { chartReadsFromBundle, launchContextFromBundle } from '../chart/chart-reads-from-bundle';
import { isRecord } from '../clean-text';
import { buildPatientContext } from '../chart/patient-context';
import { badRequest, isAppError } from '../errors';
import { PdfRenderer } from '../handout/pdf';
import type { HandoutRenderInput } from '../handout/render-html';
import { handoutFooterText, renderHandoutHtml } from '../handout/render-html';
import { tailor } from '../tailoring/engine';
import type { RenderCommand } from './render-args';
import { parseRenderArgs } from './render-args';
import type { BundleChart, RenderOutput } from './render-discussion';
import { discussionOf, discussionOutputs, handoutOf } from './render-discussion';
import { printHandoutPdf } from '../handout/printed-pdf';

export { parseRenderArgs } from './render-args';
export type { RenderCommand } from './render-args';

/** Reads and checks the bundle: JSON, `resourceType: Bundle`, exactly one Patient to print for. */
export function readBundle(file: string): Bundle {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw badRequest(missing ? `The bundle file ${file} does not exist.` : `The bundle file ${file} is not valid JSON.`);
  }
  const bundle = parsed as Partial<Bundle> | null;
  if (typeof bundle !== 'object' || bundle === null || bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) {
    throw badRequest(`${file} is not a FHIR Bundle with entries (resourceType "Bundle", an "entry" array).`);
  }
  // Every entry must carry a resource: a null or shapeless one would otherwise surface as a crash deep in the mapping.
  const broken = (bundle.entry as unknown[]).findIndex((entry) => !isRecord(entry) || !isRecord(entry.resource) || typeof entry.resource.resourceType !== 'string');
  if (broken !== -1) {
    throw badRequest(`${file}: entry ${broken + 1} holds no FHIR resource (each entry needs a "resource" with a "resourceType").`);
  }
  return bundle as Bundle;
}

/** The bundle's patient as the launch reads would have answered: the chart, mapped and tailored as of `now`. */
export function chartOfBundle(bundlePath: string, now: Date): BundleChart {
  const bundle = readBundle(bundlePath);
  const launch = launchContextFromBundle(bundle);
  if (launch === undefined) {
    throw badRequest(`${bundlePath} must hold exactly one Patient resource with an id.`);
  }
  const context = buildPatientContext(chartReadsFromBundle(bundle, launch), now);
  return {
    bundle,
    patientId: launch.patientId,
    ...(launch.encounterId === undefined ? {} : { encounterId: launch.encounterId }),
    context,
    tailoring: tailor(context),
  };
}

/**
 * The handout PDF, its information dates set to the discussion time so a fixed `--date` gives the same bytes (and so
 * the same SHA-256 in the note) on the same Chromium build.
 */
async function renderPdf(input: HandoutRenderInput, attestedAt: string): Promise<Buffer> {
  const renderer = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1 });
  try {
    return await printHandoutPdf(renderer, input, new Date(attestedAt));
  } finally {
    await renderer.close();
  }
}

function chartOutputs(command: RenderCommand, chart: BundleChart, input: HandoutRenderInput): RenderOutput[] {
  const outputs: RenderOutput[] = [];
  if (command.htmlPath !== undefined) {
    outputs.push({ path: command.htmlPath, data: renderHandoutHtml({ ...input, printTarget: 'browser' }), summary: `wrote ${command.htmlPath}` });
  }
  if (command.flagsPath !== undefined) {
    const flags = chart.tailoring.flags;
    outputs.push({ path: command.flagsPath, data: `${JSON.stringify(flags, null, 2)}\n`, summary: `wrote ${command.flagsPath} (${flags.length} flags)` });
  }
  return outputs;
}

/**
 * Renders what the command asks for. Everything is built and validated first (answers, note, DocumentReferences)
 * and written only then, so a refusal leaves no partial output behind.
 */
export async function runRender(command: RenderCommand): Promise<string[]> {
  const chart = chartOfBundle(command.bundlePath, new Date(command.attestedAt));
  const discussion = discussionOf(command, chart);
  const input = await handoutOf(discussion, chart, command.largePrint);
  const report = [
    `pack ${handoutFooterText(input.pack)}${input.draft ? ' DRAFT' : ''}`,
    `flags: ${input.activeFlags.join(', ') || 'none'}`,
    ...(input.scenario === undefined ? [] : [`handout for: ${input.scenario.indication}, ${input.scenario.procedure}${discussion.scenarioChoice === undefined ? ' (as the chart reads)' : ' (chosen with --indication/--procedure)'}`]),
  ];
  const pdf = await renderPdf(input, command.attestedAt);
  const outputs = chartOutputs(command, chart, input);
  if (command.outPath !== undefined) {
    outputs.push({ path: command.outPath, data: pdf, summary: `wrote ${command.outPath} (${pdf.length} bytes)` });
  }
  if (discussion.status === 'attested') {
    report.push(`discussion ${discussion.id} attested ${command.attestedAt} by ${command.clinician.reference}`);
    outputs.push(...discussionOutputs(command, discussion, chart, pdf));
  }
  for (const output of outputs) {
    fs.writeFileSync(output.path, output.data);
    report.push(output.summary);
  }
  return report;
}

/** Where the command reports: stdout for what it wrote, stderr for why it stopped. */
export interface CliStreams {
  out: (text: string) => void;
  err: (text: string) => void;
}

const PROCESS_STREAMS: CliStreams = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Runs the command and answers its exit code: 0 done; 2 for what the person can fix (`bad_request`: arguments,
 * unreadable files; `unprocessable`: answers that cannot be attested, a DocumentReference that breaks its profile);
 * 1 for anything else.
 */
export async function runCli(argv: readonly string[], streams: CliStreams = PROCESS_STREAMS): Promise<number> {
  try {
    const report = await runRender(parseRenderArgs(argv));
    streams.out(`${report.join('\n')}\n`);
    return 0;
  } catch (error) {
    const fixable = isAppError(error) && (error.code === 'bad_request' || error.code === 'unprocessable');
    const hint = isAppError(error) && error.hint ? `\n${error.hint}` : '';
    streams.err(`render: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
    return fixable ? 2 : 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
