/**
 * The arguments of `npm run render`, checked before anything is read or rendered: every mistake is a `bad_request`
 * (exit code 2) whose message says what to fix and shows the usage.
 */
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import type { WriteProfile } from '../../fhir-resources/document-reference';
import { WRITE_PROFILES } from '../../fhir-resources/document-reference';
import { badRequest } from '../errors';
import { INDICATIONS, PROCEDURES } from '../content/content-schema';
import type { ScenarioOverride } from '../content/scenario';

export const USAGE = [
  'usage: npm run render -- --bundle <bundle.json> [--out <file.pdf>] [--html <file.html>] [--flags <file.json>]',
  '         [--lang <code>] [--large-print] [--date YYYY-MM-DD | YYYY-MM-DDTHH:MM:SS±HH:MM]',
  `         [--indication ${INDICATIONS.join('|')}] [--procedure ${PROCEDURES.join('|')}]`,
  '         [--checklist <answers.json> [--note <file.txt>] [--document-reference us-core|epic|oracle:<file.json>]...',
  '          [--clinician "Practitioner/<id>|Name"] [--discussion-id <uuid>]]',
  '  --out is required unless --note or --document-reference is given; those two need --checklist.',
].join('\n');

/** Where to write the DocumentReference built for one EHR write profile. */
export interface DocumentReferenceTarget {
  profile: WriteProfile;
  path: string;
}

/** The clinician who held the discussion: the note's author. */
export interface ClinicianArg {
  /** `Practitioner/<id>` or `PractitionerRole/<id>`, relative to the FHIR base. */
  reference: string;
  name?: string;
}

export interface RenderCommand {
  bundlePath: string;
  outPath?: string;
  htmlPath?: string;
  flagsPath?: string;
  language?: string;
  largePrint: boolean;
  /** The handout's date, YYYY-MM-DD. */
  date: string;
  /** The discussion's attestation time (ISO date-time with an offset): app-filled, and the note's times. */
  attestedAt: string;
  checklistPath?: string;
  notePath?: string;
  documentReferences: DocumentReferenceTarget[];
  clinician: ClinicianArg;
  discussionId?: string;
  /**
   * What the handout is about where the chart's reading is not right (`--indication`, `--procedure`): recorded with
   * the discussion as the clinician's choice on the Handout tab is, so the handout, checklist and note follow it.
   */
  scenario?: ScenarioOverride;
}

/** The sandbox's pain specialist (`fhir-resources/sandbox/practitioners.json`), who holds the sandbox discussions. */
export const DEFAULT_CLINICIAN: ClinicianArg = { reference: 'Practitioner/itdd-dr-rivera', name: 'Elena Rivera, MD' };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A FHIR instant: seconds and an offset are required, because `DocumentReference.date` is one. */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,3})?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)$/;
const CLINICIAN_REFERENCE = /^(?:Practitioner|PractitionerRole)\/[A-Za-z0-9\-.]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLINICIAN_NAME_MAX = 200;
/** The attestation time of a bare `--date`: noon UTC is the same calendar day from UTC−11 to UTC+11. */
const BARE_DATE_TIME = 'T12:00:00Z';

function usageError(message: string): Error {
  return badRequest(`${message}\n${USAGE}`);
}

function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (match === null) {
    return false;
  }
  const [year, month, day] = match.slice(1, 4).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `--date`: a day (attested at noon UTC) or an exact time with its offset; default: now. */
export function discussionDateOf(value: string | undefined, today: Date): { date: string; attestedAt: string } {
  if (value === undefined) {
    const now = today.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { date: now.slice(0, 10), attestedAt: now };
  }
  if (isCalendarDate(value)) {
    return { date: value, attestedAt: `${value}${BARE_DATE_TIME}` };
  }
  const match = DATE_TIME.exec(value);
  if (match?.[1] === undefined || !isCalendarDate(match[1])) {
    throw usageError(`--date must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS with an offset (Z or ±HH:MM).`);
  }
  return { date: match[1], attestedAt: value };
}

/** `--clinician "Practitioner/<id>|Name"`: the name is optional. */
export function clinicianOf(value: string | undefined): ClinicianArg {
  if (value === undefined) {
    return { ...DEFAULT_CLINICIAN };
  }
  const bar = value.indexOf('|');
  const reference = (bar === -1 ? value : value.slice(0, bar)).trim();
  const name = bar === -1 ? '' : value.slice(bar + 1).trim();
  if (!CLINICIAN_REFERENCE.test(reference) || name.length > CLINICIAN_NAME_MAX) {
    throw usageError(`--clinician must be "Practitioner/<id>|Name" (or PractitionerRole/<id>; the name at most ${CLINICIAN_NAME_MAX} characters).`);
  }
  return name === '' ? { reference } : { reference, name };
}

/** `--document-reference <profile>:<file.json>`, one per option. */
export function documentReferenceTargetOf(value: string): DocumentReferenceTarget {
  const colon = value.indexOf(':');
  const profile = colon === -1 ? value : value.slice(0, colon);
  const file = colon === -1 ? '' : value.slice(colon + 1);
  if (!(WRITE_PROFILES as readonly string[]).includes(profile)) {
    throw usageError(`--document-reference: "${profile}" is not a write profile; use ${WRITE_PROFILES.join(', ')} (as <profile>:<file.json>).`);
  }
  if (file === '') {
    throw usageError(`--document-reference ${profile} needs a file: ${profile}:<file.json>.`);
  }
  return { profile: profile as WriteProfile, path: file };
}

const OPTIONS = {
  bundle: { type: 'string' },
  out: { type: 'string' },
  html: { type: 'string' },
  flags: { type: 'string' },
  lang: { type: 'string' },
  'large-print': { type: 'boolean', default: false },
  date: { type: 'string' },
  checklist: { type: 'string' },
  note: { type: 'string' },
  'document-reference': { type: 'string', multiple: true, default: [] },
  clinician: { type: 'string' },
  'discussion-id': { type: 'string' },
  indication: { type: 'string' },
  procedure: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type ParsedValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>>['values'];

function parsedValues(argv: readonly string[]): ParsedValues {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
}

/** The bundle to read; throws when an output or an input the outputs need is missing. */
function checkedBundle(values: ParsedValues): string {
  const discussionOutputs = values.note !== undefined || values['document-reference'].length > 0;
  if (values.bundle === undefined || (values.out === undefined && !discussionOutputs)) {
    throw usageError('--bundle is required, and --out unless --note or --document-reference is given.');
  }
  if (discussionOutputs && values.checklist === undefined) {
    throw usageError('--note and --document-reference record a discussion: give its answers with --checklist <answers.json>.');
  }
  if (values['discussion-id'] !== undefined && !UUID.test(values['discussion-id'])) {
    throw usageError('--discussion-id must be a lower-case UUID.');
  }
  return values.bundle;
}

/** `--indication` / `--procedure`: each one of the listed values, or absent (the chart's reading). */
export function scenarioArgsOf(values: { indication?: string; procedure?: string }): ScenarioOverride | undefined {
  const { indication, procedure } = values;
  if (indication !== undefined && !(INDICATIONS as readonly string[]).includes(indication)) {
    throw usageError(`--indication must be one of: ${INDICATIONS.join(', ')}.`);
  }
  if (procedure !== undefined && !(PROCEDURES as readonly string[]).includes(procedure)) {
    throw usageError(`--procedure must be one of: ${PROCEDURES.join(', ')}.`);
  }
  if (indication === undefined && procedure === undefined) {
    return undefined;
  }
  return {
    ...(indication === undefined ? {} : { indication: indication as (typeof INDICATIONS)[number] }),
    ...(procedure === undefined ? {} : { procedure: procedure as (typeof PROCEDURES)[number] }),
  };
}

/** Options not given are left out of the command (absent, never `undefined`), so it prints and compares cleanly. */
function withoutUndefined<T extends object>(command: T): T {
  return Object.fromEntries(Object.entries(command).filter(([, value]) => value !== undefined)) as T;
}

export function parseRenderArgs(argv: readonly string[], today: Date = new Date()): RenderCommand {
  const values = parsedValues(argv);
  return withoutUndefined<RenderCommand>({
    bundlePath: checkedBundle(values),
    outPath: values.out,
    htmlPath: values.html,
    flagsPath: values.flags,
    language: values.lang,
    largePrint: values['large-print'],
    ...discussionDateOf(values.date, today),
    checklistPath: values.checklist,
    notePath: values.note,
    documentReferences: values['document-reference'].map(documentReferenceTargetOf),
    clinician: clinicianOf(values.clinician),
    discussionId: values['discussion-id'],
    scenario: scenarioArgsOf(values),
  });
}
