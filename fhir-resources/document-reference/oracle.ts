/**
 * Oracle Health (Cerner Millennium) R4: `POST /DocumentReference`, provider access.
 * https://docs.oracle.com/en/industries/health/millennium-platform-apis/mfrap/op-documentreference-post.html
 * (same rules in `cerner/fhir.cerner.com`, `content/millennium/r4/foundation/documents/document-reference.md`).
 *
 * Sources: shared research `ehr-writeback.md` §2.1 (create rules, [V]) and "Implications for the app" 5:
 * - `content` "Must contain only one entry": the rendered PDF (`application/pdf`) when there is one, otherwise the
 *   note text (`text/plain;charset=utf-8`). The PDF is then all the chart gets, so it must carry the discussion
 *   record, not only the handout;
 * - `docStatus` "Only `final` is supported for provider access";
 * - `author`: "only a single author can be provided, and it must be the authorized provider", a Practitioner; the
 *   caller passes the id_token `fhirUser`, never a chosen name;
 * - `context.period` is required, "The period.end field is required", and "All provided dates must have a time
 *   component" (period and `attachment.creation`);
 * - `type` "must include a LOINC or a proprietary coding but not both together": LOINC (default 11506-3 "Progress
 *   note") or one code from the site's code set 72, system `https://fhir.cerner.com/<EHR source id>/codeSet/72`.
 * `identifier` is not among the supported create fields, so Oracle ignores it ("Unsupported fields will be ignored");
 * it is kept for other readers and for the app's own ledger, which must not rely on finding it in the chart.
 */
import type { DocumentReference } from 'fhir/r4';
import {
  APPLICATION_PDF,
  baseDocumentReference,
  LOINC_PROGRESS_NOTE,
  LOINC_SYSTEM,
  noteTextContent,
  pdfContent,
  TEXT_PLAIN_UTF8,
} from './core';
import { hasTime } from './rules';
import type { DocumentReferenceInput, SiteNoteSettings, Violation, WriteProfileSpec } from './types';

const CODE_SET_72 = /^https:\/\/fhir\.cerner\.com\/[A-Za-z0-9-]{1,64}\/codeSet\/72$/;
const PRACTITIONER_REFERENCE = /^Practitioner\/[A-Za-z0-9\-.]{1,64}$/;

function build(input: DocumentReferenceInput, site: SiteNoteSettings): DocumentReference {
  return baseDocumentReference(input, {
    docStatus: site.docStatus ?? 'final',
    typeCoding: site.typeCoding ?? LOINC_PROGRESS_NOTE,
    content: [input.pdf === undefined ? noteTextContent(input, TEXT_PLAIN_UTF8) : pdfContent(input.pdf)],
  });
}

function typeViolation(resource: DocumentReference): Violation | undefined {
  const systems = (resource.type?.coding ?? []).map((c) => c.system ?? '');
  const allLoinc = systems.every((system) => system === LOINC_SYSTEM);
  const oneProprietary = systems.length === 1 && CODE_SET_72.test(systems[0] ?? '');
  return allLoinc || oneProprietary
    ? undefined
    : { field: 'type.coding', why: 'must be LOINC or a single code set 72 coding, never both' };
}

function timeViolation(resource: DocumentReference): Violation | undefined {
  const period = resource.context?.period;
  if (!hasTime(period?.end)) {
    return { field: 'context.period.end', why: 'is required and must include a time' };
  }
  if (period?.start !== undefined && !hasTime(period.start)) {
    return { field: 'context.period.start', why: 'must include a time' };
  }
  const creation = resource.content?.[0]?.attachment.creation;
  return creation === undefined || hasTime(creation)
    ? undefined
    : { field: 'content[0].attachment.creation', why: 'must include a time' };
}

function check(resource: DocumentReference): Violation | undefined {
  if ((resource.content ?? []).length !== 1) {
    return { field: 'content', why: 'must hold exactly one entry' };
  }
  const authors = resource.author ?? [];
  if (authors.length !== 1 || !PRACTITIONER_REFERENCE.test(authors[0]?.reference ?? '')) {
    return { field: 'author', why: 'must be exactly one Practitioner: the signed-in clinician' };
  }
  return timeViolation(resource) ?? typeViolation(resource);
}

export const oracleProfile: WriteProfileSpec = {
  ehrName: 'Oracle Health',
  contentTypes: [APPLICATION_PDF, TEXT_PLAIN_UTF8],
  docStatuses: ['final'],
  build,
  check,
};
