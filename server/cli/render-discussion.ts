/**
 * The discussion part of `npm run render`: from a bundle's chart, the handout rendered for it and a file of checklist
 * answers to the note text and the DocumentReferences the app would file — through the app's own code (the consent
 * module's gates, `noteInputFor`, `renderDiscussionNote`, `buildDocumentReference`), so they can be inspected or
 * compared without an EHR. Everything is built and validated in memory; the caller writes files only when all of it
 * succeeded.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import { renderDiscussionNote, sha256Hex } from '../../fhir-resources/discussion-note';
import type { DocumentReferenceInput, PdfInput, WriteProfile } from '../../fhir-resources/document-reference';
import { buildDocumentReference } from '../../fhir-resources/document-reference';
import type { PatientContext } from '../chart/patient-context';
import { shownFlagOf } from '../consent/discussion';
import { languageLabel, preferredLanguageText } from '../consent/discussion-snapshot';
import type { NoteRecord } from '../consent/note-input';
import { noteInputFor } from '../consent/note-input';
import { loadChecklist } from '../content/content-packs';
import type { HandoutRenderInput } from '../handout/render-html';
import { projectRoot } from '../project-root';
import type { TailoringResult } from '../tailoring/types';
import { attestedAnswers, readClinicianAnswers } from './answers-file';
import type { ClinicianArg, RenderCommand } from './render-args';
import { derivedDiscussionId } from './reproducible';

/** The checklist and the note are clinician-facing and written in English (as in the app). */
const CHECKLIST_LANGUAGE = 'en';
const NOTE_LANGUAGE = 'en';
const PDF_TITLE = 'Intrathecal drug pump: patient handout as given in the discussion';
/**
 * The profiles the handout PDF is filed with, as the filing service does: US Core takes the note text and then the
 * PDF; Epic keeps only one (text) attachment; Oracle's single entry would have to be a PDF of the note itself.
 */
const PROFILES_WITH_PDF: ReadonlySet<WriteProfile> = new Set(['us-core']);

/** The bundle as the launch reads would have answered it. */
export interface BundleChart {
  bundle: Bundle;
  patientId: string;
  encounterId?: string;
  context: PatientContext;
  tailoring: TailoringResult;
}

/** One attested discussion, as the command records it. */
export interface CliDiscussion {
  record: NoteRecord;
  clinician: ClinicianArg;
  patient: PatientContext['patient'];
  /** Attestation, period start and period end alike: the command knows only when the discussion was attested. */
  attestedAt: string;
}

/** A file the command will write, and the line that reports it. */
export interface RenderOutput {
  path: string;
  data: string | Buffer;
  summary: string;
}

/** The app's version, as the filed note names it. */
export function appVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

/**
 * Reads and attests the answers for this chart and handout. The app-filled items are the command's: the handout
 * printed, the chart's preferred language, the `--clinician` and the `--date`.
 * @throws AppError bad_request for an unreadable answers file, unprocessable naming the items attestation lacks.
 */
export function discussionOf(command: RenderCommand, checklistPath: string, chart: BundleChart, handout: HandoutRenderInput): CliDiscussion {
  const { clinician, attestedAt } = command;
  const checklist = loadChecklist(CHECKLIST_LANGUAGE);
  const subject = { patientId: chart.patientId, ...(chart.encounterId === undefined ? {} : { encounterId: chart.encounterId }) };
  const clinicianAnswers = readClinicianAnswers(checklistPath, checklist, subject);
  const answers = attestedAnswers(checklist, clinicianAnswers, {
    handoutTitle: handout.pack.title,
    handoutVersion: handout.pack.version,
    handoutLanguage: languageLabel(handout.pack.language),
    preferredLanguage: preferredLanguageText(chart.context),
    practitioner: clinician.name ?? clinician.reference,
    attestedAt,
  }, handout.activeFlags);
  const id = command.discussionId ??
    derivedDiscussionId({ bundle: chart.bundle, answers: clinicianAnswers, attestedAt, clinicianReference: clinician.reference });
  const { pack } = handout;
  const record: NoteRecord = {
    id, ...subject, answers,
    pack: { id: pack.id, version: pack.version, language: pack.language, title: pack.title },
    interpreterNeeded: handout.interpreterNeeded,
    flagsShown: chart.tailoring.flags.map(shownFlagOf),
    dismissedFlags: [],
    clinicianNotes: [],
  };
  return { record, clinician, patient: chart.context.patient, attestedAt };
}

/** The note text, exactly as the filing service would render it for this discussion and PDF. */
export function noteTextOf(discussion: CliDiscussion, pdf: Buffer): string {
  const { attestedAt } = discussion;
  return renderDiscussionNote(noteInputFor({
    record: discussion.record,
    checklist: loadChecklist(CHECKLIST_LANGUAGE),
    patient: discussion.patient,
    clinician: discussion.clinician,
    times: { attestedAt, periodStart: attestedAt, periodEnd: attestedAt },
    appVersion: appVersion(),
    pdfSha256: sha256Hex(pdf),
  }));
}

function documentInputOf(discussion: CliDiscussion, noteText: string, pdf: PdfInput | undefined): DocumentReferenceInput {
  const { record, attestedAt } = discussion;
  return {
    discussionId: record.id,
    patientId: record.patientId,
    ...(record.encounterId === undefined ? {} : { encounterId: record.encounterId }),
    authorReference: discussion.clinician.reference,
    date: attestedAt,
    periodStart: attestedAt,
    periodEnd: attestedAt,
    noteText,
    ...(pdf === undefined ? {} : { pdf }),
    language: NOTE_LANGUAGE,
  };
}

/**
 * The note and the DocumentReferences asked for, each built and validated for its profile.
 * @throws AppError unprocessable naming the element when a DocumentReference breaks its profile.
 */
export function discussionOutputs(command: RenderCommand, discussion: CliDiscussion, pdf: Buffer): RenderOutput[] {
  const noteText = noteTextOf(discussion, pdf);
  const outputs: RenderOutput[] = [];
  if (command.notePath !== undefined) {
    outputs.push({ path: command.notePath, data: noteText, summary: `wrote ${command.notePath} (note, SHA-256 ${sha256Hex(noteText)})` });
  }
  const pdfInput: PdfInput = { bytes: pdf, title: PDF_TITLE, creation: discussion.attestedAt, language: discussion.record.pack.language };
  for (const target of command.documentReferences) {
    const input = documentInputOf(discussion, noteText, PROFILES_WITH_PDF.has(target.profile) ? pdfInput : undefined);
    const resource = buildDocumentReference(target.profile, input);
    outputs.push({ path: target.path, data: `${JSON.stringify(resource, null, 2)}\n`, summary: `wrote ${target.path} (DocumentReference, ${target.profile})` });
  }
  return outputs;
}
