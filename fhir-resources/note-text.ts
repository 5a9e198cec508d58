/**
 * Cleaning and formatting helpers for the filed discussion note. The note is plain UTF-8 text that an EHR shows as
 * it is, so anything from the chart or the browser is cleaned here (control and bidi-override characters removed,
 * whitespace collapsed, NFC normalised) and bounded. Chart text that is too long is shortened with "…" (the chart is
 * not ours to refuse); clinician text that is too long is refused, because silently cutting a clinical record is worse.
 */
import { cleanText } from '../server/clean-text';
import { badRequest } from '../server/errors';

/** ISO 8601 date-time with minutes and an explicit offset: a filed note must say when, unambiguously. */
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** BCP 47 language tag, kept simple: primary subtag plus optional subtags (e.g. `es`, `pt-BR`). */
const LANGUAGE_TAG = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/;
const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/** Chart text (names, MRN): cleaned and capped; `undefined` when nothing readable is left. */
export function chartText(value: string | undefined, max: number): string | undefined {
  return cleanText(value?.normalize('NFC'), max);
}

/**
 * Clinician or app text: cleaned, required and bounded.
 * @throws AppError bad_request naming `field` when it is empty after cleaning or longer than `max` characters.
 */
export function requiredText(value: string, max: number, field: string): string {
  const cleaned = cleanText(value.normalize('NFC'), Number.MAX_SAFE_INTEGER);
  if (cleaned === undefined) {
    throw badRequest(`The discussion note cannot be written: ${field} is empty.`, { details: { field } });
  }
  if (Array.from(cleaned).length > max) {
    throw badRequest(`The discussion note cannot be written: ${field} is longer than ${max} characters.`, {
      details: { field },
    });
  }
  return cleaned;
}

/** Like {@link requiredText} for a value that may be absent or blank. */
export function optionalText(value: string | undefined, max: number, field: string): string | undefined {
  if (value === undefined || cleanText(value) === undefined) {
    return undefined;
  }
  return requiredText(value, max, field);
}

/** Rejects a list longer than `max` entries (bounds the note and the work). */
export function boundedList<T>(items: readonly T[], max: number, field: string): readonly T[] {
  if (items.length > max) {
    throw badRequest(`The discussion note cannot be written: ${field} has more than ${max} entries.`, {
      details: { field },
    });
  }
  return items;
}

/**
 * "2026-11-24 09:35 UTC-05:00": the time as the clinician's system recorded it, without conversion, so the text is
 * the same on every server whatever its time zone.
 * @throws AppError bad_request naming `field` when the value is not an ISO date-time with an offset.
 */
export function formatDateTime(value: string, field: string): string {
  const match = ISO_DATE_TIME.exec(value);
  if (match === null || Number.isNaN(Date.parse(value))) {
    throw badRequest(`The discussion note cannot be written: ${field} is not a date and time with a time zone.`, {
      details: { field },
    });
  }
  const [, date, minutes, seconds = '', zone] = match;
  return `${date} ${minutes}${seconds} ${zone === 'Z' ? 'UTC' : `UTC${zone}`}`;
}

/** "Spanish (es)"; the bare tag when the runtime has no name for it. */
export function formatLanguage(tag: string, field: string): string {
  if (!LANGUAGE_TAG.test(tag)) {
    throw badRequest(`The discussion note cannot be written: ${field} is not a language tag.`, { details: { field } });
  }
  const name = LANGUAGE_NAMES.of(tag);
  return name === undefined ? tag : `${name} (${tag})`;
}

/** "yes" / "no" for a chart reader. */
export const yesNo = (value: boolean): string => (value ? 'yes' : 'no');
