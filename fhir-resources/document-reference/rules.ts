/**
 * The rules every write profile shares and that `@medplum/core`'s structural validation does not enforce: required
 * code values (status, docStatus, category, contentType), reference shapes, and that each attachment's `size` and
 * `hash` really describe its `data` (FHIR R4 Attachment, https://hl7.org/fhir/R4/datatypes.html#Attachment).
 * Sources: shared research `ehr-writeback.md` §3.1 (US Core), §4 (FHIR R4 base) and §0 (vendor summary).
 */
import type { Attachment, DocumentReference } from 'fhir/r4';
import { sha1Base64 } from '../discussion-note';
import { APPLICATION_PDF, LOINC_SYSTEM, URI_IDENTIFIER_SYSTEM, US_CORE_CATEGORY_SYSTEM } from './core';
import type { Violation, WriteProfileSpec } from './types';

const FHIR_ID = '[A-Za-z0-9\\-.]{1,64}';
const PATIENT_REFERENCE = new RegExp(`^Patient/${FHIR_ID}$`);
const ENCOUNTER_REFERENCE = new RegExp(`^Encounter/${FHIR_ID}$`);
const AUTHOR_REFERENCE = new RegExp(`^(?:Practitioner|PractitionerRole)/${FHIR_ID}$`);
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOINC_CODE = /^(\d{1,7})-(\d)$/;
/** A date-time with at least hours and minutes (Oracle: "All provided dates must have a time component"). */
const WITH_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

type Rule = (resource: DocumentReference, spec: WriteProfileSpec) => Violation | undefined;

/** Whether a FHIR date/dateTime string carries a time of day. */
export const hasTime = (value: string | undefined): boolean => value !== undefined && WITH_TIME.test(value);

/**
 * A LOINC code is digits, a hyphen and a Mod 10 check digit (LOINC Users' Guide, "Check digit"); the algorithm is
 * the Luhn algorithm over the whole code. Catches a mistyped site configuration before the EHR does.
 */
export function isLoincCode(code: string | undefined): boolean {
  const match = code === undefined ? null : LOINC_CODE.exec(code);
  if (match === null) {
    return false;
  }
  const digits = `${match[1]}${match[2]}`.split('').reverse().map(Number);
  const sum = digits.reduce((total, digit, index) => {
    const doubled = index % 2 === 1 ? digit * 2 : digit;
    return total + (doubled > 9 ? doubled - 9 : doubled);
  }, 0);
  return sum % 10 === 0;
}

const status: Rule = (r) => (r.status === 'current' ? undefined : { field: 'status', why: 'must be "current"' });

const docStatus: Rule = (r, spec) =>
  r.docStatus !== undefined && (spec.docStatuses as readonly string[]).includes(r.docStatus)
    ? undefined
    : { field: 'docStatus', why: `must be ${spec.docStatuses.map((s) => `"${s}"`).join(' or ')}` };

const category: Rule = (r) =>
  r.category?.some((c) => c.coding?.some((x) => x.system === US_CORE_CATEGORY_SYSTEM && x.code === 'clinical-note'))
    ? undefined
    : { field: 'category', why: 'must include the US Core "clinical-note" category' };

const type: Rule = (r) => {
  const codings = r.type?.coding ?? [];
  if (codings.length === 0 || codings.some((c) => !c.system || !c.code)) {
    return { field: 'type.coding', why: 'must have at least one coding, each with a system and a code' };
  }
  if (codings.some((c) => c.system === LOINC_SYSTEM && !isLoincCode(c.code))) {
    return { field: 'type.coding', why: 'has a LOINC code that is not a valid LOINC code (format or check digit)' };
  }
  return r.type?.text ? undefined : { field: 'type.text', why: 'must say what the note is' };
};

const subject: Rule = (r) =>
  PATIENT_REFERENCE.test(r.subject?.reference ?? '')
    ? undefined
    : { field: 'subject', why: 'must be a relative Patient reference (Patient/<id>)' };

const author: Rule = (r) =>
  (r.author?.length ?? 0) > 0 && r.author?.every((a) => AUTHOR_REFERENCE.test(a.reference ?? ''))
    ? undefined
    : { field: 'author', why: 'must name the clinician as a relative Practitioner or PractitionerRole reference' };

const identifier: Rule = (r) =>
  r.identifier?.some((i) => i.system === URI_IDENTIFIER_SYSTEM && UUID_URN.test(i.value ?? ''))
    ? undefined
    : { field: 'identifier', why: 'must carry the discussion id as urn:uuid:<uuid> (system urn:ietf:rfc:3986)' };

const date: Rule = (r) => (r.date ? undefined : { field: 'date', why: 'is required (when the note was filed)' });

const encounter: Rule = (r) => {
  const encounters = r.context?.encounter ?? [];
  if (encounters.length > 1) {
    return { field: 'context.encounter', why: 'must hold at most one encounter' };
  }
  return encounters.every((e) => ENCOUNTER_REFERENCE.test(e.reference ?? ''))
    ? undefined
    : { field: 'context.encounter', why: 'must be a relative Encounter reference (Encounter/<id>)' };
};

const period: Rule = (r) => {
  const { start, end } = r.context?.period ?? {};
  if (start === undefined || end === undefined) {
    return { field: 'context.period', why: 'must have a start and an end (the time of the discussion)' };
  }
  return Date.parse(start) <= Date.parse(end) ? undefined : { field: 'context.period', why: 'must not end before it starts' };
};

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The inline bytes of one attachment: the content type is allowed, and data, size and hash agree. */
export function attachmentViolation(attachment: Attachment, at: string, spec: WriteProfileSpec): Violation | undefined {
  const contentType = attachment.contentType ?? '';
  if (!spec.contentTypes.includes(contentType)) {
    return { field: `${at}.contentType`, why: `must be one of ${spec.contentTypes.join(', ')}` };
  }
  const data = attachment.data;
  const bytes = Buffer.from(data ?? '', 'base64');
  if (data === undefined || data === '' || bytes.toString('base64') !== data) {
    return { field: `${at}.data`, why: 'must be the document as non-empty, canonical base64' };
  }
  if (attachment.size !== bytes.length) {
    return { field: `${at}.size`, why: 'must equal the number of bytes in data' };
  }
  if (attachment.hash !== sha1Base64(bytes)) {
    return { field: `${at}.hash`, why: 'must be the base64 SHA-1 of the bytes in data' };
  }
  if (contentType === APPLICATION_PDF) {
    return bytes.subarray(0, 5).toString('latin1') === '%PDF-' ? undefined : { field: `${at}.data`, why: 'is not a PDF' };
  }
  return isUtf8(bytes) ? undefined : { field: `${at}.data`, why: 'is not UTF-8 text' };
}

const content: Rule = (r, spec) => {
  const entries = r.content ?? [];
  if (entries.length === 0) {
    return { field: 'content', why: 'must hold the note' };
  }
  for (const [index, entry] of entries.entries()) {
    const violation = attachmentViolation(entry.attachment, `content[${index}].attachment`, spec);
    if (violation !== undefined) {
      return violation;
    }
  }
  return undefined;
};

const COMMON_RULES: readonly Rule[] = [status, docStatus, category, type, subject, author, identifier, date, encounter, period, content];

/** The first common rule the resource breaks, if any. */
export function commonViolation(resource: DocumentReference, spec: WriteProfileSpec): Violation | undefined {
  for (const rule of COMMON_RULES) {
    const violation = rule(resource, spec);
    if (violation !== undefined) {
      return violation;
    }
  }
  return undefined;
}
