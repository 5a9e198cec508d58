/**
 * The consent-discussion checklist as a pure model: which items apply to this patient, which are required right
 * now, and whether a set of answers is complete enough to attest. No Express, no database: the routes and the
 * browser both rely on the same rules, and the server's verdict is the one that counts.
 *
 * The rules follow the CMS interpretive guidance on informed consent (QSO-24-10-Hospitals, tag A-0955), The Joint
 * Commission RI.01.03.01 (an assessment of the patient's understanding is documented, hence a required coded
 * teach-back result) and Section 1557 (the interpreter's identity and modality once one was used) — see
 * research/peers-and-clinical-facts.md §2.1–2.4 and §4.2.
 */
import type { Checklist, ChecklistItem } from '../content/checklist-schema';
import type { Scenario } from '../content/scenario';
import { appliesToScenario, scenarioFromFlags } from '../content/scenario';

/** Longest text answer or note a clinician can enter (bounded so one field cannot bloat the record or the note). */
export const MAX_TEXT_CHARS = 2000;

/**
 * Most notes a discussion holds: each is printed for the patient, and the handout has room for this many. The store
 * refuses one more and the renderer accepts exactly this many, so no saved discussion can be one the handout refuses.
 */
export const MAX_CLINICIAN_NOTES = 20;

/**
 * One answer: a tick (`confirm`), an option code (`choice`), free text (`text`) or an ISO 8601 date-time
 * (`datetime`). No item kind takes a list, so none is accepted.
 */
export interface ChecklistAnswer {
  value: boolean | string;
  note?: string;
}

/** Answers by checklist item id. Only ids of the checklist are ever stored (see `parseClinicianAnswers`). */
export type ChecklistAnswers = Record<string, ChecklistAnswer>;

export interface MissingItem {
  id: string;
  text: string;
}

export interface InvalidItem {
  id: string;
  text: string;
  why: string;
}

export type AttestationCheck = { ok: true } | { ok: false; missing: MissingItem[]; invalid: InvalidItem[] };

/** `YYYY-MM-DDTHH:MM[:SS[.sss]][Z|±HH:MM]` — what `<input type="datetime-local">` and `toISOString()` produce. */
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?$/;

/**
 * Drops the items tied to a tailoring flag that is not active for this patient (not raised, or dismissed), and the
 * items of another indication or procedure (a pump replacement has no trial). The scenario is the discussion's
 * (`scenarioOfDiscussion`: the clinician's saved choice over the chart's); without one, the chart's reading of the flags.
 */
export function applicableItems(checklist: Checklist, activeFlags: readonly string[], scenario: Scenario = scenarioFromFlags(activeFlags)): ChecklistItem[] {
  const active = new Set(activeFlags);
  return checklist.items.filter(
    (item) => (item.appliesWhen === undefined || active.has(item.appliesWhen)) && appliesToScenario(item.appliesTo, scenario),
  );
}

/** True when the item's `requiredWhen` trigger holds, e.g. "interpreter-used" is "used". */
export function isTriggered(item: ChecklistItem, answers: ChecklistAnswers): boolean {
  return holds(item.requiredWhen, answers);
}

function holds(when: ChecklistItem['requiredWhen'], answers: ChecklistAnswers): boolean {
  if (when === undefined) {
    return false;
  }
  const trigger = answers[when.item]?.value;
  return typeof trigger === 'string' && when.anyOf.includes(trigger);
}

/**
 * The items the clinician sees and answers: the applicable ones, less the follow-up items (those with
 * `requiredWhen` or `shownWhen`) whose trigger does not hold — the interpreter's ID only matters once an interpreter
 * was used.
 */
export function shownItems(checklist: Checklist, activeFlags: readonly string[], answers: ChecklistAnswers, scenario?: Scenario): ChecklistItem[] {
  return applicableItems(checklist, activeFlags, scenario).filter((item) => {
    const when = item.requiredWhen ?? item.shownWhen;
    return when === undefined || holds(when, answers);
  });
}

export function isRequired(item: ChecklistItem, answers: ChecklistAnswers): boolean {
  return item.required || isTriggered(item, answers);
}

/** A real calendar date and clock time (JavaScript's parser would take 30 February as 2 March). */
function isIsoDateTime(value: string): boolean {
  const match = ISO_DATETIME.exec(value);
  if (match === null) {
    return false;
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? '0'));
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0));
  return date.getUTCMonth() === (month ?? 0) - 1 && date.getUTCDate() === day &&
    (hour ?? 24) < 24 && (minute ?? 60) < 60 && (second ?? 60) < 60;
}

/** Why a value does not fit its item (wrong type, unknown option code, too long, not a date-time), if it does not. */
export function valueProblem(item: ChecklistItem, value: unknown): string | undefined {
  switch (item.kind) {
    case 'confirm':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'choice':
      return typeof value === 'string' && item.options?.some((o) => o.code === value)
        ? undefined
        : `must be one of: ${(item.options ?? []).map((o) => o.code).join(', ')}`;
    case 'text':
      if (typeof value !== 'string') {
        return 'must be text';
      }
      return value.length > MAX_TEXT_CHARS ? `must be at most ${MAX_TEXT_CHARS} characters` : undefined;
    case 'datetime':
      return typeof value === 'string' && value.length <= 40 && isIsoDateTime(value)
        ? undefined
        : 'must be an ISO 8601 date and time';
  }
}

/** Why an answer (value and note) does not fit its item, if it does not. */
export function answerProblem(item: ChecklistItem, answer: ChecklistAnswer): string | undefined {
  if (answer.note !== undefined && (typeof answer.note !== 'string' || answer.note.length > MAX_TEXT_CHARS)) {
    return `the note must be text of at most ${MAX_TEXT_CHARS} characters`;
  }
  return valueProblem(item, answer.value);
}

/** Answered means: ticked, a listed option chosen, non-blank text, or a valid date-time. */
export function isAnswered(item: ChecklistItem, answer: ChecklistAnswer | undefined): boolean {
  if (answer === undefined || valueProblem(item, answer.value) !== undefined) {
    return false;
  }
  switch (item.kind) {
    case 'confirm':
      return answer.value === true;
    case 'text':
      return typeof answer.value === 'string' && answer.value.trim() !== '';
    case 'choice':
    case 'datetime':
      return true;
  }
}

/**
 * The server-side gate before attestation. Every shown item that is required (or made required by its trigger)
 * must be answered; every answer given to a shown item must fit its item; answers for ids that are not in the
 * checklist are invalid. Answers to items not shown (a flag dismissed, an interpreter no longer used) are left
 * out of the record by `answersForRecord`, so they do not block.
 */
export function validateForAttestation(
  checklist: Checklist,
  answers: ChecklistAnswers,
  activeFlags: readonly string[],
  scenario?: Scenario,
): AttestationCheck {
  const known = new Set(checklist.items.map((item) => item.id));
  const missing: MissingItem[] = [];
  const invalid: InvalidItem[] = Object.keys(answers)
    .filter((id) => !known.has(id))
    .map((id) => ({ id, text: id, why: 'not an item of this checklist' }));
  for (const item of shownItems(checklist, activeFlags, answers, scenario)) {
    const answer = answers[item.id];
    const problem = answer === undefined ? undefined : answerProblem(item, answer);
    if (problem !== undefined) {
      invalid.push({ id: item.id, text: item.text, why: problem });
    } else if (isRequired(item, answers) && !isAnswered(item, answer)) {
      missing.push({ id: item.id, text: item.text });
    }
  }
  return missing.length === 0 && invalid.length === 0 ? { ok: true } : { ok: false, missing, invalid };
}

/** The answers that belong in the attested record: those of the items shown, nothing left over from earlier. */
export function answersForRecord(
  checklist: Checklist,
  answers: ChecklistAnswers,
  activeFlags: readonly string[],
  scenario?: Scenario,
): ChecklistAnswers {
  const kept: ChecklistAnswers = {};
  for (const item of shownItems(checklist, activeFlags, answers, scenario)) {
    const answer = answers[item.id];
    if (answer !== undefined) {
      kept[item.id] = answer;
    }
  }
  return kept;
}

/**
 * True when the clinician confirmed reviewing an unchecked area themselves: every required item its pseudo-flag
 * brings in (`appliesWhen: "unchecked-<read>"`) is answered. An area no item confirms is never confirmed, so a
 * checklist missing the item blocks attestation rather than letting the area pass unseen.
 */
export function isAreaConfirmed(checklist: Checklist, answers: ChecklistAnswers, areaFlag: string): boolean {
  const items = checklist.items.filter((item) => item.appliesWhen === areaFlag && item.required);
  return items.length > 0 && items.every((item) => isAnswered(item, answers[item.id]));
}

/** The unchecked areas the clinician has not yet confirmed reviewing: attestation waits for each. */
export function unconfirmedAreas<T extends { flag: string }>(checklist: Checklist, answers: ChecklistAnswers, areas: readonly T[]): T[] {
  return areas.filter((area) => !isAreaConfirmed(checklist, answers, area.flag));
}
