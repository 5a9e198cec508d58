/**
 * The parts every write profile shares: status, category, subject, author, date, identifier, description, context and
 * the attachment with its integrity fields.
 *
 * Sources: shared research `ehr-writeback.md` §3.1 (US Core DocumentReference: status, type, category `clinical-note`,
 * subject, content, contentType), §4 (FHIR R4 `Attachment.size` is the byte count before base64 and `Attachment.hash`
 * the base64 SHA-1 of the same bytes, https://hl7.org/fhir/R4/datatypes.html#Attachment) and §3.2 (US Core 9
 * "Writing Clinical Notes": a stable identifier, `date` as an instant, the clinical time in `context.period`,
 * https://www.hl7.org/fhir/us/core/writing-clinical-notes.html).
 */
import type { Attachment, CodeableConcept, Coding, DocumentReference, DocumentReferenceContent } from 'fhir/r4';
import { sha1Base64 } from '../discussion-note';
import type { DocumentReferenceInput, NoteDocStatus, PdfInput } from './types';

export const LOINC_SYSTEM = 'http://loinc.org';
export const US_CORE_CATEGORY_SYSTEM = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category';
export const URI_IDENTIFIER_SYSTEM = 'urn:ietf:rfc:3986';

/** LOINC 34895-3 "Education note" (verified in shared research `terminology.md`, LOINC document types). */
export const LOINC_EDUCATION_NOTE: Coding = { system: LOINC_SYSTEM, code: '34895-3', display: 'Education note' };
/** LOINC 11506-3 "Progress note" (US Core clinical-note types; on Epic's reported 1046 type list). */
export const LOINC_PROGRESS_NOTE: Coding = { system: LOINC_SYSTEM, code: '11506-3', display: 'Progress note' };

/** `type.text`: what the note is, whichever code a site maps it to (research "Implications" 3). */
export const NOTE_TYPE_TEXT = 'Intrathecal drug pump: education and consent discussion';
export const NOTE_TITLE = 'Intrathecal drug pump: education and consent discussion note';
export const NOTE_DESCRIPTION =
  'Record of an education and consent discussion about a programmable intrathecal drug pump (not the signed consent form).';

/** Plain text as Epic's clinical-note API is reported to take it, and with the charset Oracle and US Core 9 name. */
export const TEXT_PLAIN = 'text/plain';
export const TEXT_PLAIN_UTF8 = 'text/plain;charset=utf-8';
export const APPLICATION_PDF = 'application/pdf';

/** The US Core `clinical-note` category (a fresh object each time: built resources share nothing mutable). */
export function clinicalNoteCategory(): CodeableConcept {
  return { coding: [{ system: US_CORE_CATEGORY_SYSTEM, code: 'clinical-note', display: 'Clinical Note' }] };
}

/** An attachment carrying its bytes inline with their size and SHA-1, so the EHR (and an auditor) can check them. */
export function inlineAttachment(
  bytes: Buffer,
  meta: { contentType: string; title: string; creation: string; language: string },
): Attachment {
  return {
    contentType: meta.contentType,
    language: meta.language,
    data: bytes.toString('base64'),
    size: bytes.length,
    hash: sha1Base64(bytes),
    title: meta.title,
    creation: meta.creation,
  };
}

/** The note text as one content entry (UTF-8 bytes). */
export function noteTextContent(input: DocumentReferenceInput, contentType: string): DocumentReferenceContent {
  const bytes = Buffer.from(input.noteText, 'utf8');
  return {
    attachment: inlineAttachment(bytes, { contentType, title: NOTE_TITLE, creation: input.date, language: input.language }),
  };
}

/** The rendered PDF (discussion record with its handout) as one content entry. */
export function pdfContent(pdf: PdfInput): DocumentReferenceContent {
  const { bytes, title, creation, language } = pdf;
  return { attachment: inlineAttachment(bytes, { contentType: APPLICATION_PDF, title, creation, language }) };
}

/** The profile-specific choices handed to {@link baseDocumentReference}. */
export interface ProfileChoices {
  docStatus: NoteDocStatus;
  typeCoding: Coding;
  content: DocumentReferenceContent[];
}

/**
 * The DocumentReference every profile starts from. `context.encounter` is left out when the launch had none;
 * the profiles that need it (Epic) reject that in validation.
 */
export function baseDocumentReference(input: DocumentReferenceInput, choices: ProfileChoices): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    identifier: [{ system: URI_IDENTIFIER_SYSTEM, value: `urn:uuid:${input.discussionId}` }],
    status: 'current',
    docStatus: choices.docStatus,
    type: { coding: [{ ...choices.typeCoding }], text: NOTE_TYPE_TEXT },
    category: [clinicalNoteCategory()],
    subject: { reference: `Patient/${input.patientId}` },
    date: input.date,
    author: [{ reference: input.authorReference }],
    description: NOTE_DESCRIPTION,
    content: choices.content,
    context: {
      ...(input.encounterId === undefined ? {} : { encounter: [{ reference: `Encounter/${input.encounterId}` }] }),
      period: { start: input.periodStart, end: input.periodEnd },
    },
  };
}
