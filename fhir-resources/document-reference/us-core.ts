/**
 * Generic US Core server (and the embedded sandbox EHR).
 *
 * Sources: shared research `ehr-writeback.md` §3.1 (US Core DocumentReference profile, identical in 6.1.0–8.0.0:
 * status, type bound to LOINC document codes, category `clinical-note`, subject, content) and §3.2 (US Core 9.0
 * "Writing Clinical Notes", https://www.hl7.org/fhir/us/core/writing-clinical-notes.html: servers SHALL accept
 * `text/plain; charset=utf-8` and `application/pdf`, so the note text and the rendered PDF both go, as two content
 * entries). Profile: https://hl7.org/fhir/us/core/StructureDefinition-us-core-documentreference.html.
 *
 * Type default: LOINC 34895-3 "Education note". It is on the project's verified LOINC document-type list
 * (research `terminology.md`) and says what the note is; US Core's type binding takes any LOINC document code, so a
 * generic server has no reason to force a less specific one. (Epic and Oracle default to 11506-3 "Progress note",
 * which their note-type lists are known to accept.) The note text comes first so that a server that keeps only the
 * first attachment still keeps the record of the discussion.
 */
import type { DocumentReference } from 'fhir/r4';
import {
  APPLICATION_PDF,
  baseDocumentReference,
  LOINC_EDUCATION_NOTE,
  LOINC_SYSTEM,
  noteTextContent,
  pdfContent,
  TEXT_PLAIN_UTF8,
} from './core';
import type { DocumentReferenceInput, SiteNoteSettings, Violation, WriteProfileSpec } from './types';

function build(input: DocumentReferenceInput, site: SiteNoteSettings): DocumentReference {
  const content = [noteTextContent(input, TEXT_PLAIN_UTF8), ...(input.pdf === undefined ? [] : [pdfContent(input.pdf)])];
  return baseDocumentReference(input, {
    docStatus: site.docStatus ?? 'final',
    typeCoding: site.typeCoding ?? LOINC_EDUCATION_NOTE,
    content,
  });
}

function check(resource: DocumentReference): Violation | undefined {
  if (resource.type?.coding?.some((c) => c.system !== LOINC_SYSTEM)) {
    return { field: 'type.coding', why: 'must be LOINC document codes (US Core binding)' };
  }
  const types = (resource.content ?? []).map((c) => c.attachment.contentType);
  if (types.length !== 2 || types[0] !== TEXT_PLAIN_UTF8 || types[1] !== APPLICATION_PDF) {
    return { field: 'content', why: 'must hold the note text and then the PDF' };
  }
  return undefined;
}

export const usCoreProfile: WriteProfileSpec = {
  ehrName: 'a US Core FHIR server',
  contentTypes: [TEXT_PLAIN_UTF8, APPLICATION_PDF],
  docStatuses: ['final', 'preliminary'],
  build,
  check,
};
