/**
 * Shared types of the DocumentReference write profiles. One profile per kind of EHR the app files notes to,
 * because Epic and Oracle Health accept different shapes (shared research `ehr-writeback.md` §0, ARCHITECTURE §5).
 */
import type { Coding, DocumentReference } from 'fhir/r4';

export type WriteProfile = 'us-core' | 'epic' | 'oracle';
export const WRITE_PROFILES: readonly WriteProfile[] = ['us-core', 'epic', 'oracle'];

export type NoteDocStatus = 'preliminary' | 'final';

/**
 * The rendered PDF, when there is one. On Oracle Health it is the *only* content filed (one entry allowed), so it must
 * carry the discussion record itself (the note, with the handout it covers), not the handout alone.
 */
export interface PdfInput {
  bytes: Buffer;
  title: string;
  /** ISO date-time with an offset (Oracle requires a time on every date). */
  creation: string;
  /** BCP 47 tag of the handout's language. */
  language: string;
}

export interface DocumentReferenceInput {
  /** UUID of the discussion record: the identifier `urn:uuid:<discussionId>`. */
  discussionId: string;
  /** FHIR id of the patient on this EHR. */
  patientId: string;
  /** FHIR id of the launch encounter; Epic refuses a note without one. */
  encounterId?: string;
  /** Relative reference of the signed-in clinician, e.g. `Practitioner/abc` (from the id_token `fhirUser`). */
  authorReference: string;
  /** `DocumentReference.date`: when the reference is created (a FHIR instant). */
  date: string;
  /** `context.period`: the clinically relevant time of the discussion, ISO date-times with offsets. */
  periodStart: string;
  periodEnd: string;
  /** The output of `renderDiscussionNote`. */
  noteText: string;
  pdf?: PdfInput;
  /** BCP 47 tag of the note text's language. */
  language: string;
}

/** What a site's analysts may configure per tenant (see docs/ehr-setup.md). */
export interface SiteNoteSettings {
  /** The note type; defaults to the profile's LOINC code. Oracle: LOINC or the site's code set 72 event code. */
  typeCoding?: Coding;
  /** Epic: `preliminary` (the clinician signs in Hyperspace) or `final` (filed signed). Oracle accepts `final` only. */
  docStatus?: NoteDocStatus;
}

/** One broken rule: the element (FHIRPath-like, as Medplum names it) and why, in words safe to show. */
export interface Violation {
  field: string;
  why: string;
}

/** Everything the builder and the validator need to know about one profile. */
export interface WriteProfileSpec {
  /** How error messages name the EHR. */
  ehrName: string;
  /** `content.attachment.contentType` values this EHR accepts from the app. */
  contentTypes: readonly string[];
  docStatuses: readonly NoteDocStatus[];
  /** Builds the resource; it is validated by the caller before it leaves. */
  build(input: DocumentReferenceInput, site: SiteNoteSettings): DocumentReference;
  /** The rules only this EHR has, checked after the structural and common ones. */
  check(resource: DocumentReference): Violation | undefined;
}
