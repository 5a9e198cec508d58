/**
 * Defensive readers for chart data. Everything in a FHIR resource is untrusted input (security research §6 F3–F6):
 * a "string" may be a number, an object or 10 000 characters of bidi overrides. These helpers take `unknown`,
 * answer `undefined` for anything unusable, strip control and bidi-override characters, and cap lengths.
 * Escaping is *not* done here: the characters stay as they are and the renderers escape them.
 */

export const NAME_MAX = 200;
export const DISPLAY_MAX = 300;
export const CODE_MAX = 100;
export const SHORT_MAX = 64;
export const URI_MAX = 500;

/**
 * C0 and C1 controls (whitespace among them is turned into spaces first) and the bidi embedding/override and
 * isolate characters U+202A–U+202E and U+2066–U+2069, which can make "Smith" display as "htimS" or reorder a
 * sentence around a name (Trojan Source, CVE-2021-42574).
 */
const CONTROL_AND_BIDI = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;
const WHITESPACE_RUN = /\s+/gu;

/** Cleans and caps a chart string; undefined when it is not a string or nothing readable is left. */
export function cleanText(value: unknown, max: number = DISPLAY_MAX): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const cleaned = value.replace(WHITESPACE_RUN, ' ').replace(CONTROL_AND_BIDI, '').replace(WHITESPACE_RUN, ' ').trim();
  return cleaned === '' ? undefined : capText(cleaned, max);
}

/** Caps at `max` code points (never splitting a surrogate pair), marking the cut with "…". */
export function capText(text: string, max: number): string {
  const codePoints = Array.from(text);
  if (codePoints.length <= max) {
    return text;
  }
  return `${codePoints.slice(0, max - 1).join('').trimEnd()}…`;
}

/** A finite number, or undefined (JSON can carry strings, nulls and huge exponents where numbers belong). */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** An array's items, or none when the value is not an array; at most `max` of them. */
export function listOf(value: unknown, max = 50): unknown[] {
  return Array.isArray(value) ? (value as unknown[]).slice(0, max) : [];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `value`, or an empty one, so nested optional fields can be read without guards everywhere. */
export function recordOf(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** FHIR `date`/`dateTime`/`instant` shape (https://hl7.org/fhir/R4/datatypes.html#dateTime); else undefined. */
const FHIR_DATE_TIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function fhirDateTime(value: unknown): string | undefined {
  return typeof value === 'string' && FHIR_DATE_TIME.test(value) ? value : undefined;
}

/** The reference string of a FHIR Reference, cleaned; undefined when absent. */
export function referenceOf(value: unknown): string | undefined {
  return cleanText(recordOf(value).reference, URI_MAX);
}
