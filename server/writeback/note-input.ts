/**
 * From an attested discussion record (and the patient's demographics as the chart gives them now) to the inputs of
 * the pure builders: the note text (`renderDiscussionNote`, through the shared mapping `consent/note-input.ts`) and
 * the DocumentReference (`buildDocumentReference`): the author, the discussion's period, the filing time. Pure.
 * Everything the clinician said comes from the frozen record, never from the browser at filing time.
 */
import type { DiscussionNoteInput } from '../../fhir-resources/discussion-note';
import type { DocumentReferenceInput, PdfInput } from '../../fhir-resources/document-reference';
import type { PatientFacts } from '../chart/patient-context';
import { isUnderBase, referenceOfUrl } from '../chart/fhir-url';
import type { Discussion } from '../consent/discussion';
import { chartScenarioOf, scenarioOfDiscussion } from '../consent/discussion';
import { noteInputFor } from '../consent/note-input';
import { AppError } from '../errors';
import type { Checklist } from '../content/checklist-schema';

/** The language of the note text: the checklist and the note are clinician-facing and written in English. */
export const NOTE_LANGUAGE = 'en';
const AUTHOR = /^(Practitioner|PractitionerRole)\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * The clinician as a relative reference (`Practitioner/<id>`), from the id_token's `fhirUser` (absolute under the
 * tenant's base, or relative). A user on another server cannot be the author of a note in this chart.
 */
export function authorReferenceOf(fhirUser: string, baseUrl: string): string {
  const relative = AUTHOR.test(fhirUser) ? fhirUser : undefined;
  const named = relative === undefined && isUnderBase(fhirUser, baseUrl) ? referenceOfUrl(fhirUser, baseUrl) : undefined;
  const reference = relative ?? (named === undefined ? undefined : `${named.type}/${named.id}`);
  if (reference === undefined || !AUTHOR.test(reference)) {
    throw new AppError('unprocessable', 'The note cannot be filed: the EHR did not identify the signed-in clinician as a practitioner of this chart.', {
      hint: 'Launch the app again from the chart as a practitioner.',
      details: { reason: 'author_unknown' },
    });
  }
  return reference;
}

export interface NoteSources {
  discussion: Discussion;
  checklist: Checklist;
  /** The patient as the chart gives it now; undefined when it could not be read (the note says "not recorded"). */
  patient: PatientFacts | undefined;
  authorReference: string;
  appVersion: string;
  pdfSha256?: string;
  replaces?: DiscussionNoteInput['replaces'];
}

function attestedAtOf(discussion: Discussion): Date {
  if (discussion.status !== 'attested' || discussion.attestedAt === undefined) {
    throw new AppError('conflict', 'Only a completed (attested) discussion can be filed to the chart.', {
      hint: 'Complete the checklist and attest it first.',
      details: { reason: 'not_attested' },
    });
  }
  return discussion.attestedAt;
}

/** The discussion's period: from when the record was opened to the attestation. */
export function periodOf(discussion: Discussion): { start: string; end: string } {
  const end = attestedAtOf(discussion);
  const start = discussion.createdAt.getTime() <= end.getTime() ? discussion.createdAt : end;
  return { start: start.toISOString(), end: end.toISOString() };
}

/** The note's input: the one mapping of `consent/note-input.ts`, with the filing's times, author and PDF hash. */
export function noteInputOf(sources: NoteSources): DiscussionNoteInput {
  const { discussion: d } = sources;
  const period = periodOf(d);
  const note = noteInputFor({
    record: d,
    checklist: sources.checklist,
    patient: sources.patient,
    clinician: { reference: sources.authorReference, ...(d.clinician.name === undefined ? {} : { name: d.clinician.name }) },
    times: { attestedAt: period.end, periodStart: period.start, periodEnd: period.end },
    appVersion: sources.appVersion,
    scenario: { inForce: scenarioOfDiscussion(d), fromChart: chartScenarioOf(d) },
    ...(sources.pdfSha256 === undefined ? {} : { pdfSha256: sources.pdfSha256 }),
  });
  return sources.replaces === undefined ? note : { ...note, replaces: sources.replaces };
}

/** The builder's input: the note text, the optional PDF, and when the reference is made (`date`). */
export function documentInputOf(d: Discussion, authorReference: string, noteText: string, now: Date, pdf: PdfInput | undefined): DocumentReferenceInput {
  const period = periodOf(d);
  return {
    discussionId: d.id,
    patientId: d.patientId,
    ...(d.encounterId === undefined ? {} : { encounterId: d.encounterId }),
    authorReference,
    date: now.toISOString(),
    periodStart: period.start,
    periodEnd: period.end,
    noteText,
    ...(pdf === undefined ? {} : { pdf }),
    language: NOTE_LANGUAGE,
  };
}
