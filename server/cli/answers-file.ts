/**
 * The checklist answers the render command records, read from a file and put through the consent module's own
 * gates: `parseClinicianAnswers` (ids of the checklist, values that fit their items; app-filled items dropped), then
 * the app-filled values, then `validateForAttestation` for the flags this patient's chart raises — the same checks as
 * the API, so a note the command writes is one the app would have let the clinician attest.
 */
import fs from 'node:fs';
import { appFilledAnswers, parseClinicianAnswers } from '../consent/checklist-answers';
import type { ChecklistAnswers, InvalidItem, MissingItem } from '../consent/checklist-model';
import { answersForRecord } from '../consent/checklist-model';
import { attestationCheck } from '../consent/interpreter-rule';
import type { Scenario } from '../content/scenario';
import type { DiscussionLanguages } from '../consent/interpreter-rule';
import { AppError, badRequest, isAppError } from '../errors';
import type { Checklist } from '../content/checklist-schema';

/** Who the answers must be about: the bundle's patient and encounter. */
export interface AnswersSubject {
  patientId: string;
  encounterId?: string;
}

/** The keys of the example file's envelope (`fhir-resources/examples/checklist-answers.example.json`). */
interface AnswersEnvelope {
  checklistId?: unknown;
  checklistVersion?: unknown;
  patient?: unknown;
  encounter?: unknown;
  answers: unknown;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw badRequest(missing ? `The answers file ${file} does not exist.` : `The answers file ${file} is not valid JSON.`);
  }
}

function isEnvelope(value: unknown): value is AnswersEnvelope {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'answers');
}

/** An envelope's claims must match: answers for another checklist version or another patient are refused. */
function checkEnvelope(file: string, envelope: AnswersEnvelope, checklist: Checklist, subject: AnswersSubject): void {
  const claims: Array<[string, unknown, string | undefined]> = [
    ['checklistId', envelope.checklistId, checklist.id],
    ['checklistVersion', envelope.checklistVersion, checklist.version],
    ['patient', envelope.patient, `Patient/${subject.patientId}`],
    ['encounter', envelope.encounter, subject.encounterId === undefined ? undefined : `Encounter/${subject.encounterId}`],
  ];
  for (const [key, claimed, expected] of claims) {
    if (claimed !== undefined && claimed !== expected) {
      throw badRequest(`${file}: "${key}" does not match ${expected === undefined ? 'the bundle (it has none)' : `"${expected}"`}.`);
    }
  }
}

/** The refusals `parseClinicianAnswers` puts in `details`, as lines naming each item (never its value). */
function refusalLines(error: AppError): string[] {
  const refused = error.details?.refused;
  const issues = error.details?.issues;
  if (Array.isArray(refused)) {
    return refused.map((r: { id?: unknown; why?: unknown }) => `- ${String(r.id)}: ${String(r.why)}`);
  }
  return Array.isArray(issues) ? issues.map((issue) => `- ${String(issue)}`) : [];
}

/**
 * The clinician's answers in a file: the bare map the consent module stores (`{ "<itemId>": { "value": … } }`) or
 * that map under `answers` in the example file's envelope, whose checklist, patient and encounter are then checked.
 * @throws AppError bad_request naming the file and each refused item.
 */
export function readClinicianAnswers(file: string, checklist: Checklist, subject: AnswersSubject): ChecklistAnswers {
  const parsed = readJson(file);
  if (isEnvelope(parsed)) {
    checkEnvelope(file, parsed, checklist, subject);
  }
  try {
    return parseClinicianAnswers(checklist, isEnvelope(parsed) ? parsed.answers : parsed);
  } catch (error) {
    if (!isAppError(error)) {
      throw error;
    }
    throw badRequest([`The answers in ${file} are not valid for checklist ${checklist.id} ${checklist.version}:`, ...refusalLines(error)].join('\n'));
  }
}

function attentionLines(missing: readonly MissingItem[], invalid: readonly InvalidItem[]): string[] {
  return [...missing.map((item) => `- ${item.id}: required, not answered`), ...invalid.map((item) => `- ${item.id}: ${item.why}`)];
}

/**
 * The answers as the app records them at attestation: the draft's (the clinician's and the app-filled ones) and the
 * attestation time, checked for the
 * patient's active tailoring flags and kept for the items shown. Like the API's 422, nothing is recorded otherwise.
 * @throws AppError unprocessable naming every item missing or invalid, with `details.missing` and `details.invalid`.
 */
export function attestedAnswers(
  checklist: Checklist,
  draftAnswers: ChecklistAnswers,
  attestedAt: string,
  activeFlags: readonly string[],
  languages: DiscussionLanguages,
  scenario?: Scenario,
): ChecklistAnswers {
  const answers = { ...draftAnswers, ...appFilledAnswers(checklist, { attestedAt }) };
  const check = attestationCheck(checklist, answers, activeFlags, languages, scenario);
  if (!check.ok) {
    const count = check.missing.length + check.invalid.length;
    const message = `The discussion cannot be attested: ${count} checklist item${count === 1 ? ' needs' : 's need'} attention:`;
    throw new AppError('unprocessable', [message, ...attentionLines(check.missing, check.invalid)].join('\n'), {
      hint: `Tailoring flags for this patient: ${activeFlags.join(', ') || 'none'}.`,
      details: { missing: check.missing, invalid: check.invalid },
    });
  }
  return answersForRecord(checklist, answers, activeFlags, scenario);
}
