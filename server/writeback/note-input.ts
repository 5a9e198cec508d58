/**
 * From an attested discussion record (and the patient's demographics as the chart gives them now) to the inputs of
 * the pure builders: the note text (`renderDiscussionNote`) and the DocumentReference (`buildDocumentReference`).
 * Pure. Everything the clinician said comes from the frozen record, never from the browser at filing time.
 */
import type { DiscussionNoteInput } from '../../fhir-resources/discussion-note';
import type { DocumentReferenceInput, PdfInput } from '../../fhir-resources/document-reference';
import type { PatientFacts } from '../chart/patient-context';
import { isUnderBase, referenceOfUrl } from '../chart/fhir-url';
import type { ChecklistAnswer, ChecklistAnswers } from '../consent/checklist-model';
import type { Discussion } from '../consent/discussion';
import { AppError } from '../errors';
import type { Checklist } from '../handout/checklist-schema';

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

function answerText(checklist: Checklist, itemId: string, answer: ChecklistAnswer | undefined): string {
  const item = checklist.items.find((i) => i.id === itemId);
  const value = answer?.value;
  let text: string;
  if (item?.kind === 'confirm') {
    text = value === true ? 'Confirmed' : 'Not confirmed';
  } else {
    const option = item?.kind === 'choice' ? item.options?.find((o) => o.code === value) : undefined;
    text = option?.display ?? String(value ?? '');
  }
  return answer?.note === undefined || answer.note.trim() === '' ? text : `${text} (${answer.note})`;
}

/** The answered items in checklist order, with their group labels and readable answers. */
export function checklistLines(checklist: Checklist, answers: ChecklistAnswers): DiscussionNoteInput['checklist'] {
  const groupLabel = new Map(checklist.groups.map((g) => [g.id, g.label]));
  return checklist.items
    .filter((item) => Object.hasOwn(answers, item.id))
    .map((item) => ({ group: groupLabel.get(item.group) ?? item.group, text: item.text, answer: answerText(checklist, item.id, answers[item.id]) }));
}

function interpreterOf(checklist: Checklist, answers: ChecklistAnswers): DiscussionNoteInput['interpreter'] {
  const used = answers['interpreter-used']?.value;
  if (typeof used !== 'string') {
    return undefined;
  }
  if (used !== 'used') {
    return { used: false };
  }
  const nameOrId = answers['interpreter-id']?.value;
  const modality = answers['interpreter-modality'];
  return {
    used: true,
    ...(typeof nameOrId === 'string' ? { nameOrId } : {}),
    ...(modality === undefined ? {} : { modality: answerText(checklist, 'interpreter-modality', modality) }),
  };
}

export interface NoteSources {
  discussion: Discussion;
  checklist: Checklist;
  /** The patient as the chart gives it now; undefined when it could not be read (the note says "not recorded"). */
  patient: PatientFacts | undefined;
  authorReference: string;
  appVersion: string;
  pdfSha256?: string;
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

export function noteInputOf(sources: NoteSources): DiscussionNoteInput {
  const { discussion: d, checklist, patient } = sources;
  const period = periodOf(d);
  const dismissed = new Map(d.dismissedFlags.map((f) => [f.flagId, f.reason]));
  const interpreter = interpreterOf(checklist, d.answers);
  return {
    discussionId: d.id,
    patient: { id: d.patientId, ...pick(patient, ['name', 'birthDate', 'mrn']) },
    ...(d.encounterId === undefined ? {} : { encounterId: d.encounterId }),
    clinician: { reference: sources.authorReference, ...(d.clinician.name === undefined ? {} : { name: d.clinician.name }) },
    discussedAt: period.end,
    periodStart: period.start,
    periodEnd: period.end,
    handout: {
      id: d.pack.id, title: d.pack.title, version: d.pack.version, language: d.pack.language,
      interpreterNeeded: d.interpreterNeeded, ...(sources.pdfSha256 === undefined ? {} : { pdfSha256: sources.pdfSha256 }),
    },
    flagsShown: d.flagsShown.map((f) => {
      const reason = dismissed.get(f.id);
      return { id: f.id, title: f.title, audience: f.audience, ...(reason === undefined ? {} : { dismissed: { reason } }) };
    }),
    checklist: checklistLines(checklist, d.answers),
    teachBack: answerText(checklist, 'teach-back', d.answers['teach-back']),
    ...(interpreter === undefined ? {} : { interpreter }),
    clinicianNotes: d.clinicianNotes.map((n) => n.text),
    appVersion: sources.appVersion,
  };
}

function pick(patient: PatientFacts | undefined, keys: ReadonlyArray<'name' | 'birthDate' | 'mrn'>): Partial<Pick<PatientFacts, 'name' | 'birthDate' | 'mrn'>> {
  const picked: Partial<Pick<PatientFacts, 'name' | 'birthDate' | 'mrn'>> = {};
  for (const key of keys) {
    const value = patient?.[key];
    if (value !== undefined) {
      picked[key] = value;
    }
  }
  return picked;
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
