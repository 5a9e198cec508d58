import type { DocumentReference } from '@medplum/fhirtypes';

/**
 * What Epic and Oracle Health refuse when an app files a DocumentReference, written from the vendors' rules
 * (shared research `ehr-writeback.md` §0, §1.1 and §2.1), not from the app's own profile validators, so that the
 * sandbox catches an app that drifts from what the EHR takes. The generic (US Core) server refuses nothing beyond
 * FHIR R4 structure: US Core servers SHALL accept a create and need not police profiles.
 */

/** A vendor's refusal: the HTTP status it answers with, the FHIR issue type, the element and why. */
export interface WriteRefusal {
  status: 400 | 422;
  issueCode: 'required' | 'invalid' | 'business-rule' | 'not-supported';
  field: string;
  why: string;
}

/** Who is writing: the user of the token's grant (the id_token's `fhirUser`). */
export interface Writer {
  user: string;
}

type Rule = (doc: DocumentReference, writer: Writer) => WriteRefusal | undefined;

const FHIR_ID = '[A-Za-z0-9\\-.]{1,64}';
const PATIENT_REFERENCE = new RegExp(`^Patient/${FHIR_ID}$`);
const LOINC_SYSTEM = 'http://loinc.org';
const ORACLE_CODE_SET_72 = /^https:\/\/fhir\.cerner\.com\/[A-Za-z0-9-]{1,64}\/codeSet\/72$/;
/** Oracle: "All provided dates must have a time component." */
const WITH_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Epic 1046: "Clinical notes are `text/plain` base64 only" [S]. */
export const EPIC_CONTENT_TYPES: readonly string[] = ['text/plain'];
/** Oracle's documented create list, exactly as written (each text type with `;charset=utf-8`) [V]. */
export const ORACLE_CONTENT_TYPES: readonly string[] = [
  'application/pdf',
  'text/plain;charset=utf-8',
  'text/richtext;charset=utf-8',
  'text/rtf;charset=utf-8',
  'text/html;charset=utf-8',
  'application/xml;charset=utf-8',
  'application/xhtml+xml;charset=utf-8',
];

function firstRefusal(doc: DocumentReference, writer: Writer, rules: readonly Rule[]): WriteRefusal | undefined {
  for (const rule of rules) {
    const refusal = rule(doc, writer);
    if (refusal !== undefined) {
      return refusal;
    }
  }
  return undefined;
}

/** Rules shared by both vendors, parameterised by the status each answers with. */
function commonRules(status: 400 | 422, docStatuses: readonly string[], contentTypes: readonly string[]): Rule[] {
  const refuse = (issueCode: WriteRefusal['issueCode'], field: string, why: string): WriteRefusal => ({ status, issueCode, field, why });
  return [
    (d) => (d.status === 'current' ? undefined : refuse('business-rule', 'status', 'must be "current"')),
    (d) =>
      d.docStatus !== undefined && docStatuses.includes(d.docStatus)
        ? undefined
        : refuse('business-rule', 'docStatus', `must be ${docStatuses.map((s) => `"${s}"`).join(' or ')}`),
    (d) => (PATIENT_REFERENCE.test(d.subject?.reference ?? '') ? undefined : refuse('required', 'subject', 'must be Patient/<id>')),
    (d) => ((d.content ?? []).length === 1 ? undefined : refuse('business-rule', 'content', 'must hold exactly one entry')),
    (d) => {
      const attachment = d.content?.[0]?.attachment;
      if (!contentTypes.includes(attachment?.contentType ?? '')) {
        return refuse('not-supported', 'content[0].attachment.contentType', `must be one of ${contentTypes.join(', ')}`);
      }
      return attachment?.data ? undefined : refuse('required', 'content[0].attachment.data', 'must carry the document inline (base64)');
    },
  ];
}

/**
 * Epic, DocumentReference.Create (Clinical Notes) (R4), API 1046: one `text/plain` attachment, `docStatus`
 * `preliminary` or `final`, and `context.encounter` required (its existence is checked against the chart separately).
 */
const EPIC_RULES: readonly Rule[] = [
  ...commonRules(400, ['preliminary', 'final'], EPIC_CONTENT_TYPES),
  (d) =>
    d.context?.encounter?.length === 1
      ? undefined
      : { status: 400, issueCode: 'required', field: 'context.encounter', why: 'is required: Epic files a note only against an encounter' },
];

function oracleTypeRule(d: DocumentReference): WriteRefusal | undefined {
  const systems = (d.type?.coding ?? []).map((c) => c.system ?? '');
  const loinc = systems.length > 0 && systems.every((s) => s === LOINC_SYSTEM);
  const proprietary = systems.length === 1 && ORACLE_CODE_SET_72.test(systems[0] ?? '');
  return loinc || proprietary
    ? undefined
    : { status: 422, issueCode: 'business-rule', field: 'type', why: 'must include a LOINC or a proprietary coding but not both together' };
}

function oracleDatesRule(d: DocumentReference): WriteRefusal | undefined {
  const period = d.context?.period;
  const creation = d.content?.[0]?.attachment?.creation;
  const refuse = (field: string, why: string): WriteRefusal => ({ status: 422, issueCode: 'required', field, why });
  if (!WITH_TIME.test(period?.end ?? '')) {
    return refuse('context.period.end', 'is required and must have a time component');
  }
  if (period?.start !== undefined && !WITH_TIME.test(period.start)) {
    return refuse('context.period.start', 'must have a time component');
  }
  return creation === undefined || WITH_TIME.test(creation)
    ? undefined
    : refuse('content[0].attachment.creation', 'must have a time component');
}

/**
 * Oracle Health Millennium R4 `POST /DocumentReference`, provider access: `docStatus` "Only `final`", exactly one
 * author who "must be the authorized provider", no `authenticator`, one content of a listed MIME type, at most one
 * encounter, `context.period.end` with a time, LOINC or one code set 72 type. Oracle answers 422 for business rules.
 */
const ORACLE_RULES: readonly Rule[] = [
  ...commonRules(422, ['final'], ORACLE_CONTENT_TYPES),
  (d, writer) =>
    d.author?.length === 1 && d.author[0]?.reference === `Practitioner/${writer.user}`
      ? undefined
      : { status: 422, issueCode: 'business-rule', field: 'author', why: 'must be exactly one author: the authorized provider' },
  (d) =>
    d.authenticator === undefined
      ? undefined
      : { status: 422, issueCode: 'business-rule', field: 'authenticator', why: 'cannot be populated for provider access' },
  (d) =>
    (d.context?.encounter?.length ?? 0) <= 1
      ? undefined
      : { status: 422, issueCode: 'business-rule', field: 'context.encounter', why: 'supports a single encounter reference only' },
  oracleDatesRule,
  oracleTypeRule,
];

export const epicRefusal = (doc: DocumentReference, writer: Writer): WriteRefusal | undefined => firstRefusal(doc, writer, EPIC_RULES);
export const oracleRefusal = (doc: DocumentReference, writer: Writer): WriteRefusal | undefined =>
  firstRefusal(doc, writer, ORACLE_RULES);

/**
 * Oracle: "Only the body fields mentioned below are supported. Unsupported fields will be ignored." The fields the
 * research lists as outside that list are dropped before storing (`identifier` included, so it can never serve as
 * an idempotency key), and `date` becomes the time Oracle filed the note [U: assumed, Oracle stamps its own time].
 */
export function oracleStoredShape(doc: DocumentReference, filedAt: string): DocumentReference {
  const copy: DocumentReference = { ...doc, date: filedAt };
  delete copy.identifier;
  delete copy.description;
  delete copy.relatesTo;
  delete copy.securityLabel;
  copy.content = doc.content.map((entry) => {
    const attachment = { ...entry.attachment };
    delete attachment.hash;
    delete attachment.size;
    delete attachment.language;
    return { ...entry, attachment };
  });
  return copy;
}
