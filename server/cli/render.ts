/**
 * `npm run render -- --bundle <FHIR Bundle JSON> --out <file.pdf> [--html <file.html>] [--flags <file.json>]
 *                    [--lang <code>] [--large-print] [--date YYYY-MM-DD]`
 *
 * Prints the handout for a patient held in a FHIR Bundle (the shape of `fhir-resources/patients/*.json`) without
 * an EHR: the bundle is read as the launch reads would have answered, mapped to a PatientContext, tailored, and
 * rendered to PDF (and, on request, HTML) by the same code the app uses. `--flags` writes the tailoring flags with
 * their reasons, sources and chart evidence. Draft packs are printed with their DRAFT mark.
 *
 * Exit codes: 0 done, 2 bad arguments or a missing/invalid bundle (a `bad_request` AppError: the message says
 * what to fix), 1 anything else.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Bundle } from 'fhir/r4';
import { chartReadsFromBundle, launchContextFromBundle } from '../chart/chart-reads-from-bundle';
import { buildPatientContext } from '../chart/patient-context';
import { badRequest, isAppError } from '../errors';
import { handoutInputForChart } from '../handout/handout-input';
import { PdfRenderer } from '../handout/pdf';
import { handoutFooterText, handoutHeaderText, renderHandoutHtml } from '../handout/render-html';
import { tailor } from '../tailoring/engine';

const USAGE =
  'usage: npm run render -- --bundle <bundle.json> --out <file.pdf> [--html <file.html>] [--flags <file.json>] [--lang <code>] [--large-print] [--date YYYY-MM-DD]';

export interface RenderCommand {
  bundlePath: string;
  outPath: string;
  htmlPath?: string;
  flagsPath?: string;
  language?: string;
  largePrint: boolean;
  date: string;
}

export function parseRenderArgs(argv: readonly string[], today: Date = new Date()): RenderCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        bundle: { type: 'string' },
        out: { type: 'string' },
        html: { type: 'string' },
        flags: { type: 'string' },
        lang: { type: 'string' },
        'large-print': { type: 'boolean', default: false },
        date: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw badRequest(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.bundle === undefined || values.out === undefined) {
    throw badRequest(`--bundle and --out are required.\n${USAGE}`);
  }
  return {
    bundlePath: values.bundle,
    outPath: values.out,
    ...(values.html === undefined ? {} : { htmlPath: values.html }),
    ...(values.flags === undefined ? {} : { flagsPath: values.flags }),
    ...(values.lang === undefined ? {} : { language: values.lang }),
    largePrint: values['large-print'],
    date: values.date ?? today.toISOString().slice(0, 10),
  };
}

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
  return bundle as Bundle;
}

export async function runRender(command: RenderCommand): Promise<string[]> {
  const bundle = readBundle(command.bundlePath);
  const launch = launchContextFromBundle(bundle);
  if (launch === undefined) {
    throw badRequest(`${command.bundlePath} must hold exactly one Patient resource with an id.`);
  }
  const context = buildPatientContext(chartReadsFromBundle(bundle, launch), new Date());
  const tailoring = tailor(context);
  const input = handoutInputForChart(context, tailoring, {
    date: command.date,
    largePrint: command.largePrint,
    printTarget: 'pdf',
    ...(command.language === undefined ? {} : { language: command.language }),
  });
  const report = [`pack ${handoutFooterText(input.pack)}${input.draft ? ' DRAFT' : ''}`, `flags: ${input.activeFlags.join(', ') || 'none'}`];
  const html = renderHandoutHtml(input);
  if (command.htmlPath !== undefined) {
    fs.writeFileSync(command.htmlPath, renderHandoutHtml({ ...input, printTarget: 'browser' }));
    report.push(`wrote ${command.htmlPath}`);
  }
  if (command.flagsPath !== undefined) {
    fs.writeFileSync(command.flagsPath, `${JSON.stringify(tailoring.flags, null, 2)}\n`);
    report.push(`wrote ${command.flagsPath} (${tailoring.flags.length} flags)`);
  }
  const renderer = await PdfRenderer.start({ size: 1, pagesPerBrowser: 1 });
  try {
    const { pdf } = await renderer.render(html, {
      headerText: handoutHeaderText(input),
      footerText: handoutFooterText(input.pack),
      language: input.pack.language,
      largePrint: input.largePrint,
    });
    fs.writeFileSync(command.outPath, pdf);
    report.push(`wrote ${command.outPath} (${pdf.length} bytes)`);
  } finally {
    await renderer.close();
  }
  return report;
}

async function main(): Promise<void> {
  try {
    const report = await runRender(parseRenderArgs(process.argv.slice(2)));
    process.stdout.write(`${report.join('\n')}\n`);
  } catch (error) {
    const usage = isAppError(error) && error.code === 'bad_request';
    const hint = isAppError(error) && error.hint ? `\n${error.hint}` : '';
    console.error(`render: ${error instanceof Error ? error.message : String(error)}${hint}`);
    process.exitCode = usage ? 2 : 1;
  }
}

if (require.main === module) {
  void main();
}
