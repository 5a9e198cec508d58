/**
 * Answers as they arrive from the browser, and the answers only the server may give.
 *
 * Everything from the browser is untrusted: ids must be items of the checklist, values must fit their item, text
 * is bounded. Items marked `filledBy: 'app'` (handout title, version and language, the preferred language, the
 * practitioner, the attestation time) are facts the server knows from the launch and the content pack; a value the
 * browser sends for them is dropped, so a record can never claim a handout version or a time the server did not set.
 */
import { z } from 'zod';
import { badRequest } from '../errors';
import type { Checklist } from '../content/checklist-schema';
import type { ChecklistAnswer, ChecklistAnswers } from './checklist-model';
import { MAX_TEXT_CHARS, answerProblem } from './checklist-model';

const answerInputSchema = z.strictObject({
  value: z.union([z.boolean(), z.string().max(MAX_TEXT_CHARS)]),
  note: z.string().max(MAX_TEXT_CHARS).optional(),
});

/** At most this many ids in one request (the checklist is ~60 items; the cap stops a flood before any lookup). */
const MAX_ANSWER_IDS = 200;

export const answersInputSchema = z
  .record(z.string().min(1).max(100), answerInputSchema)
  .refine((answers) => Object.keys(answers).length <= MAX_ANSWER_IDS, `at most ${MAX_ANSWER_IDS} answers`);

export interface AnswerRefusal {
  id: string;
  why: string;
}

/** Why each answer cannot be stored: not an item of the checklist, or a value that does not fit its item. */
export function answerRefusals(checklist: Checklist, answers: Readonly<Record<string, ChecklistAnswer>>): AnswerRefusal[] {
  const byId = new Map(checklist.items.map((item) => [item.id, item]));
  return Object.entries(answers).flatMap(([id, answer]) => {
    const item = byId.get(id);
    if (item === undefined) {
      return [{ id, why: 'not an item of this checklist' }];
    }
    const why = item.filledBy === 'app' ? undefined : answerProblem(item, answer);
    return why === undefined ? [] : [{ id, why }];
  });
}

/**
 * The clinician's answers from a request body (partial sets are fine: autosave sends what is there so far).
 * App-filled items are dropped. Throws a 400 AppError naming each refused id (never echoing the values).
 */
export function parseClinicianAnswers(checklist: Checklist, input: unknown): ChecklistAnswers {
  const parsed = answersInputSchema.safeParse(input);
  if (!parsed.success) {
    throw badRequest('The answers could not be read.', {
      details: { issues: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  const refusals = answerRefusals(checklist, parsed.data);
  if (refusals.length > 0) {
    throw badRequest('Some answers could not be saved.', { details: { refused: refusals.slice(0, 20) } });
  }
  const appFilled = new Set(checklist.items.filter((i) => i.filledBy === 'app').map((i) => i.id));
  const answers: ChecklistAnswers = {};
  for (const [id, answer] of Object.entries(parsed.data)) {
    if (!appFilled.has(id)) {
      answers[id] = answer.note === undefined ? { value: answer.value } : { value: answer.value, note: answer.note };
    }
  }
  return answers;
}

/** The clinician's new answers together with the server's own values already stored for app-filled items. */
export function keepAppFilled(
  checklist: Checklist,
  clinicianAnswers: ChecklistAnswers,
  stored: ChecklistAnswers,
): ChecklistAnswers {
  const merged: ChecklistAnswers = { ...clinicianAnswers };
  for (const item of checklist.items) {
    const answer = stored[item.id];
    if (item.filledBy === 'app' && answer !== undefined) {
      merged[item.id] = answer;
    }
  }
  return merged;
}

/** What the server knows for the app-filled items. */
export interface AppFilledValues {
  handoutTitle: string;
  handoutVersion: string;
  handoutLanguage: string;
  preferredLanguage: string;
  practitioner: string;
  /** Set only at attestation (ISO 8601). */
  attestedAt?: string;
}

/** Which server fact fills which app-filled item of the shipped checklist. */
const APP_FILLED_SOURCES: ReadonlyMap<string, keyof AppFilledValues> = new Map([
  ['handout-title', 'handoutTitle'],
  ['handout-version', 'handoutVersion'],
  ['handout-language', 'handoutLanguage'],
  ['preferred-language', 'preferredLanguage'],
  ['discussion-practitioner', 'practitioner'],
  ['attestation-datetime', 'attestedAt'],
]);

/**
 * The answers of the app-filled items from the server's values (those given; the attestation time comes last). An
 * app-filled item this table does not know stays unanswered, so a content change that adds one fails attestation visibly instead of being filed blank.
 */
export function appFilledAnswers(checklist: Checklist, values: Partial<AppFilledValues>): ChecklistAnswers {
  const answers: ChecklistAnswers = {};
  for (const item of checklist.items) {
    const source = item.filledBy === 'app' ? APP_FILLED_SOURCES.get(item.id) : undefined;
    const value = source === undefined ? undefined : values[source];
    if (value !== undefined) {
      answers[item.id] = { value: value.slice(0, MAX_TEXT_CHARS) };
    }
  }
  return answers;
}
