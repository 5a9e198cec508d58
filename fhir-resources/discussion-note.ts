/**
 * The text of the note filed to the chart for one intrathecal-pump education and consent discussion.
 *
 * Why plain text, rendered here and nowhere else: Epic keeps only the first attachment of a clinical note and
 * (reportedly) only `text/plain`, and Oracle Health converts richer formats with loss of fidelity, so the audit
 * trail must survive as text (shared research `ehr-writeback.md`, "Implications for the app" 1). The text is
 * deterministic (same input, same bytes) so its SHA-256 can be kept in the app's discussion record and compared
 * with what the EHR returns. It records the *discussion*; it is not the consent form.
 */
import crypto from 'node:crypto';
import { NAME_MAX } from '../server/clean-text';
import { badRequest } from '../server/errors';
import {
  boundedList,
  chartText,
  formatDateTime,
  formatLanguage,
  optionalText,
  requiredText,
  yesNo,
} from './note-text';

export interface DiscussionNoteInput {
  /** UUID of the discussion record; it is also the DocumentReference identifier. */
  discussionId: string;
  patient: { id: string; name?: string; birthDate?: string; mrn?: string };
  encounterId?: string;
  /** `reference` is relative to the FHIR base, e.g. `Practitioner/abc`. */
  clinician: { reference: string; name?: string };
  /** Attestation time: ISO date-time with an offset. */
  discussedAt: string;
  periodStart: string;
  periodEnd: string;
  handout: { id: string; title: string; version: string; language: string; interpreterNeeded: boolean; pdfSha256?: string };
  /**
   * What the handout and the checklist were about, in words ("cancer pain; a first implant after a trial"), and
   * whether the chart's reading stood or the clinician chose it (then also what the chart read).
   */
  scenario: { text: string; chosenBy: 'chart' } | { text: string; chosenBy: 'clinician'; fromChart: string };
  flagsShown: Array<{ id: string; title: string; audience: 'patient' | 'clinician'; dismissed?: { reason: string } }>;
  /**
   * What the tailoring rules could not check because a chart read was refused or failed, and whether the clinician
   * confirmed reviewing it in the chart themselves. Absent or empty: every read the rules depend on was answered.
   */
  uncheckedAreas?: Array<{ text: string; reviewed: boolean }>;
  /** Already human-readable, in checklist order. */
  checklist: Array<{ group: string; text: string; answer: string }>;
  /** The coded teach-back result's display. */
  teachBack: string;
  interpreter?: { used: boolean; nameOrId?: string; modality?: string; language?: string; reason?: string };
  clinicianNotes: string[];
  appVersion: string;
  /** When the chart this discussion was built from was read, and the SHA-256 of that read (the app's snapshot). */
  chartRead?: { readAt: string; sha256: string };
  /** This note replaces an earlier one of the same discussion, marked entered in error: which, by whom, when, why. */
  replaces?: { documentId: string; reason: string; markedBy: string; markedAt: string };
}

export const NOTE_HEADING = 'INTRATHECAL DRUG PUMP: EDUCATION AND CONSENT DISCUSSION';
const NOT_THE_CONSENT_FORM =
  'This note records an education and consent discussion about a programmable intrathecal drug pump. ' +
  'It is not the signed consent form: the consent form is completed and kept in the hospital\'s own consent process.';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const SLUG = /^[a-z0-9]+(?:[-.][a-z0-9]+)*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const PRACTITIONER_REFERENCE = /^(?:Practitioner|PractitionerRole)\/[A-Za-z0-9\-.]{1,64}$/;
const TITLE_MAX = 300;
const ITEM_MAX = 1000;
const ANSWER_MAX = 2000;
const CLINICIAN_NOTE_MAX = 4000;

/** Hex SHA-256 of the UTF-8 bytes of a string, or of raw bytes. */
export function sha256Hex(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Base64 SHA-1 of raw bytes: what FHIR `Attachment.hash` holds (https://hl7.org/fhir/R4/datatypes.html#Attachment). */
export function sha1Base64(data: Buffer): string {
  return crypto.createHash('sha1').update(data).digest('base64');
}

function requirePattern(value: string, pattern: RegExp, field: string): string {
  if (!pattern.test(value)) {
    throw badRequest(`The discussion note cannot be written: ${field} is not in the expected form.`, {
      details: { field },
    });
  }
  return value;
}

function headerLines(input: DiscussionNoteInput): string[] {
  const { patient, clinician } = input;
  const clinicianName = chartText(clinician.name, NAME_MAX);
  const reference = requirePattern(clinician.reference, PRACTITIONER_REFERENCE, 'clinician.reference');
  return [
    NOTE_HEADING,
    '',
    NOT_THE_CONSENT_FORM,
    '',
    `Patient: ${chartText(patient.name, NAME_MAX) ?? 'name not recorded in the chart'}`,
    `Date of birth: ${chartText(patient.birthDate, 10) ?? 'not recorded in the chart'}`,
    `MRN: ${chartText(patient.mrn, 64) ?? 'not recorded in the chart'}`,
    `Discussion held by: ${clinicianName === undefined ? reference : `${clinicianName} (${reference})`}`,
    `Date and time of the discussion (attestation): ${formatDateTime(input.discussedAt, 'discussedAt')}`,
    `Discussion period: ${formatDateTime(input.periodStart, 'periodStart')} to ${formatDateTime(input.periodEnd, 'periodEnd')}`,
    `Chart read: ${chartReadText(input.chartRead)}`,
  ];
}

/** The chart read the handout and the tailoring came from, so a reviewer can tell how current they were. */
function chartReadText(read: DiscussionNoteInput['chartRead']): string {
  if (read === undefined) {
    return 'not recorded';
  }
  const sha256 = requirePattern(read.sha256, SHA256_HEX, 'chartRead.sha256');
  return `${formatDateTime(read.readAt, 'chartRead.readAt')} (snapshot SHA-256 ${sha256})`;
}

/** First, so whoever opens the replacement sees at once that an earlier note of this discussion was withdrawn. */
function replacementLines(replaces: NonNullable<DiscussionNoteInput['replaces']>): string[] {
  return [
    'REPLACES AN EARLIER NOTE',
    `This note replaces note ${requirePattern(replaces.documentId, FHIR_ID, 'replaces.documentId')}, which was marked entered in error.`,
    `Marked entered in error by: ${requiredText(replaces.markedBy, NAME_MAX, 'replaces.markedBy')}`,
    `Marked at: ${formatDateTime(replaces.markedAt, 'replaces.markedAt')}`,
    `Reason: ${requiredText(replaces.reason, ANSWER_MAX, 'replaces.reason')}`,
  ];
}

function scenarioLine(scenario: DiscussionNoteInput['scenario']): string {
  const text = requiredText(scenario.text, ITEM_MAX, 'scenario.text');
  return scenario.chosenBy === 'chart'
    ? `Handout and checklist for: ${text} (as the chart reads)`
    : `Handout and checklist for: ${text} (chosen by the clinician; the chart reads: ${requiredText(scenario.fromChart, ITEM_MAX, 'scenario.fromChart')})`;
}

function handoutLines(handout: DiscussionNoteInput['handout'], scenario: DiscussionNoteInput['scenario']): string[] {
  const pdfSha256 = handout.pdfSha256 === undefined ? undefined : requirePattern(handout.pdfSha256, SHA256_HEX, 'handout.pdfSha256');
  return [
    'HANDOUT GIVEN',
    `Title: ${requiredText(handout.title, TITLE_MAX, 'handout.title')}`,
    `Version: ${requiredText(handout.version, 40, 'handout.version')}`,
    `Language: ${formatLanguage(handout.language, 'handout.language')}`,
    scenarioLine(scenario),
    `Interpreter needed for this patient: ${yesNo(handout.interpreterNeeded)}`,
    `Handout PDF SHA-256: ${pdfSha256 ?? 'no PDF was made'}`,
  ];
}

function understandingLines(input: DiscussionNoteInput): string[] {
  const lines = ['TEACH-BACK AND INTERPRETER', `Teach-back result: ${requiredText(input.teachBack, ANSWER_MAX, 'teachBack')}`];
  const interpreter = input.interpreter;
  if (interpreter === undefined) {
    return [...lines, 'Interpreter: not recorded.'];
  }
  if (!interpreter.used) {
    const reason = optionalText(interpreter.reason, ANSWER_MAX, 'interpreter.reason');
    return [...lines, 'Interpreter: not used.', ...(reason === undefined ? [] : [`Why no interpreter was needed: ${reason}`])];
  }
  lines.push('Interpreter: used.');
  const nameOrId = optionalText(interpreter.nameOrId, NAME_MAX, 'interpreter.nameOrId');
  const modality = optionalText(interpreter.modality, 100, 'interpreter.modality');
  if (nameOrId !== undefined) {
    lines.push(`Interpreter name or ID: ${nameOrId}`);
  }
  if (modality !== undefined) {
    lines.push(`How the interpreter took part: ${modality}`);
  }
  if (interpreter.language !== undefined) {
    lines.push(`Interpreted language: ${formatLanguage(interpreter.language, 'interpreter.language')}`);
  }
  return lines;
}

function flagLines(flags: DiscussionNoteInput['flagsShown'], someUnchecked: boolean): string[] {
  const lines = ['TAILORING SHOWN'];
  boundedList(flags, 50, 'flagsShown').forEach((flag, index) => {
    const id = requirePattern(flag.id, SLUG, `flagsShown[${index}].id`);
    const title = requiredText(flag.title, TITLE_MAX, `flagsShown[${index}].title`);
    const where = flag.audience === 'patient' ? "in the patient's handout" : 'to the clinician only';
    lines.push(`- ${title} — shown ${where} (rule ${id})`);
    if (flag.dismissed !== undefined) {
      lines.push(`  Dismissed by the clinician: ${requiredText(flag.dismissed.reason, ANSWER_MAX, `flagsShown[${index}].dismissed.reason`)}`);
    }
  });
  const none = someUnchecked ? 'None from the parts of the chart the app could read (see below).' : 'None: no tailoring applied to this patient.';
  return lines.length === 1 ? [...lines, none] : lines;
}

/** Said only when something could not be checked; a note without the section had every read it needed. */
function uncheckedLines(areas: NonNullable<DiscussionNoteInput['uncheckedAreas']>): string[] {
  if (areas.length === 0) {
    return [];
  }
  const lines = ['NOT CHECKED FROM THE CHART'];
  boundedList(areas, 20, 'uncheckedAreas').forEach((area, index) => {
    lines.push(`- ${requiredText(area.text, ITEM_MAX, `uncheckedAreas[${index}].text`)}`);
    lines.push(`  Reviewed in the chart by the clinician: ${yesNo(area.reviewed)}`);
  });
  return lines;
}

function checklistLines(checklist: DiscussionNoteInput['checklist']): string[] {
  const lines = ['CONSENT DISCUSSION CHECKLIST'];
  let group: string | undefined;
  boundedList(checklist, 200, 'checklist').forEach((item, index) => {
    const itemGroup = requiredText(item.group, TITLE_MAX, `checklist[${index}].group`);
    if (itemGroup !== group) {
      group = itemGroup;
      lines.push(`${itemGroup}:`);
    }
    lines.push(`- ${requiredText(item.text, ITEM_MAX, `checklist[${index}].text`)}`);
    lines.push(`  Answer: ${requiredText(item.answer, ANSWER_MAX, `checklist[${index}].answer`)}`);
  });
  return lines.length === 1 ? [...lines, 'No checklist items were answered.'] : lines;
}

function clinicianNoteLines(notes: readonly string[]): string[] {
  const cleaned = boundedList(notes, 50, 'clinicianNotes')
    .map((note, index) => optionalText(note, CLINICIAN_NOTE_MAX, `clinicianNotes[${index}]`))
    .filter((note): note is string => note !== undefined);
  return ['CLINICIAN NOTES', ...(cleaned.length === 0 ? ['None.'] : cleaned.map((note) => `- ${note}`))];
}

function recordLines(input: DiscussionNoteInput): string[] {
  const encounterId = input.encounterId === undefined ? undefined : requirePattern(input.encounterId, FHIR_ID, 'encounterId');
  return [
    'RECORD DETAILS',
    `Discussion ID: urn:uuid:${requirePattern(input.discussionId, UUID, 'discussionId')}`,
    `Patient record: Patient/${requirePattern(input.patient.id, FHIR_ID, 'patient.id')}`,
    `Encounter record: ${encounterId === undefined ? 'none in the launch context' : `Encounter/${encounterId}`}`,
    `Handout content: ${requirePattern(input.handout.id, SLUG, 'handout.id')} version ${requiredText(input.handout.version, 40, 'handout.version')}`,
    `Written by: ITDD Consent app version ${requiredText(input.appVersion, 40, 'appVersion')}`,
    "The SHA-256 of this note's text is kept with the discussion record in the app.",
  ];
}

/**
 * Renders the note: UTF-8 plain text, "\n" line ends, a fixed section order, no trailing spaces, ending in one
 * newline. Lines are not wrapped (EHRs wrap). Callers hash the returned text with {@link sha256Hex}.
 * @throws AppError bad_request naming the field when an input is malformed, empty where required or too long.
 */
export function renderDiscussionNote(input: DiscussionNoteInput): string {
  const sections = [
    headerLines(input),
    ...(input.replaces === undefined ? [] : [replacementLines(input.replaces)]),
    handoutLines(input.handout, input.scenario),
    understandingLines(input),
    flagLines(input.flagsShown, (input.uncheckedAreas ?? []).length > 0),
    uncheckedLines(input.uncheckedAreas ?? []),
    checklistLines(input.checklist),
    clinicianNoteLines(input.clinicianNotes),
    recordLines(input),
  ];
  return `${sections.filter((lines) => lines.length > 0).map((lines) => lines.join('\n')).join('\n\n')}\n`;
}
