/**
 * The discussion part of `npm run render`: from a bundle's chart to the discussion record the app would hold, the
 * handout printed for it, and — from a file of checklist answers — the note text and the DocumentReferences the app
 * would file. Every step is the app's own: `snapshotOf` and `newDraft` (what a launch opens), `handoutInputFor`
 * (what the handout routes print), the attestation checks, and the filing service's `noteInputOf` /
 * `documentInputOf` / `buildDocumentReference` — so what the command prints is what the app serves and files.
 * Everything is built and validated in memory; the caller writes files only when all of it succeeded.
 */
import type { Bundle } from 'fhir/r4';
import { renderDiscussionNote, sha256Hex } from '../../fhir-resources/discussion-note';
import type { PdfInput, WriteProfile } from '../../fhir-resources/document-reference';
import { buildDocumentReference } from '../../fhir-resources/document-reference';
import type { PatientContext } from '../chart/patient-context';
import { snapshotHash } from '../chart-snapshot/snapshot-store';
import { keepAppFilled } from '../consent/checklist-answers';
import type { Discussion } from '../consent/discussion';
import { activeChecklistFlags, scenarioChoiceFor, scenarioOfDiscussion, withScenarioChoice } from '../consent/discussion';
import { attested, newDraft } from '../consent/discussion-lifecycle';
import { snapshotOf } from '../consent/discussion-snapshot';
import { languagesOf } from '../consent/interpreter-rule';
import { loadChecklist, pickPackForLanguage } from '../content/content-packs';
import type { HandoutRenderInput } from '../handout/render-html';
import { OFFLINE_CONTENT, handoutToPrint } from '../content/content-approvals';
import { handoutInputFor, printOptionsFor } from '../handout/handout-document';
import type { TailoringResult } from '../tailoring/types';
import { appVersion } from '../writeback/filing-prepare';
import { documentInputOf, noteInputOf } from '../writeback/note-input';
import { attestedAnswers, readClinicianAnswers } from './answers-file';
import type { ClinicianArg, RenderCommand } from './render-args';
import { derivedDiscussionId } from './reproducible';

/** The checklist is clinician-facing and written in English (as in the app). */
const CHECKLIST_LANGUAGE = 'en';
const PDF_TITLE = 'Intrathecal drug pump: patient handout as given in the discussion';
/**
 * The profiles the handout PDF is filed with, as the filing service does: US Core takes the note text and then the
 * PDF; Epic keeps only one (text) attachment; Oracle's single entry would have to be a PDF of the note itself.
 */
const PROFILES_WITH_PDF: ReadonlySet<WriteProfile> = new Set(['us-core']);
/** The command has no EHR: its records name this base and tenant, which no EHR or store ever sees. */
const CLI_FHIR_BASE = 'urn:itdd-consent:render';
const CLI_TENANT = 'render-command';

/** The bundle as the launch reads would have answered it. */
export interface BundleChart {
  bundle: Bundle;
  patientId: string;
  encounterId?: string;
  context: PatientContext;
  tailoring: TailoringResult;
}

/** A file the command will write, and the line that reports it. */
export interface RenderOutput {
  path: string;
  data: string | Buffer;
  summary: string;
}

export { appVersion } from '../writeback/filing-prepare';

/**
 * The discussion the app would open for this chart and this clinician at the command's time — attested from the
 * answers file when one is given (the app-filled items are the command's: the handout, the chart's preferred
 * language, the `--clinician` and the `--date`).
 * @throws AppError bad_request for an unreadable answers file, unprocessable naming the items attestation lacks.
 */
export function discussionOf(command: RenderCommand, chart: BundleChart): Discussion {
  const { clinician } = command;
  const checklist = loadChecklist(CHECKLIST_LANGUAGE);
  const subject = { patientId: chart.patientId, ...(chart.encounterId === undefined ? {} : { encounterId: chart.encounterId }) };
  const clinicianAnswers = command.checklistPath === undefined ? {} : readClinicianAnswers(command.checklistPath, checklist, subject);
  const id = command.discussionId ??
    derivedDiscussionId({ bundle: chart.bundle, answers: clinicianAnswers, attestedAt: command.attestedAt, clinicianReference: clinician.reference });
  const opened = draftOf(chart, { clinician, at: new Date(command.attestedAt), id, ...(command.language === undefined ? {} : { language: command.language }) });
  // As the Handout tab's selects save it (PUT …/discussion/scenario): only what differs from the chart's reading.
  const draft = command.scenario === undefined ? opened : withScenarioChoice(opened, scenarioChoiceFor(opened, command.scenario));
  if (command.checklistPath === undefined) {
    return draft;
  }
  const answers = attestedAnswers(checklist, keepAppFilled(checklist, clinicianAnswers, draft.answers), command.attestedAt, activeChecklistFlags(draft), languagesOf(draft), scenarioOfDiscussion(draft));
  return attested(draft, { attestedAt: new Date(command.attestedAt), attestedBy: clinician.reference, answers });
}

export interface DraftOptions {
  clinician: ClinicianArg;
  /** When the discussion is opened (and the handout dated). */
  at: Date;
  id: string;
  /** A BCP 47 tag that overrides the chart's preferred language (`--lang`). */
  language?: string;
}

/**
 * The draft a launch of this chart by this clinician would open at `at`: the pack for the patient's language (else
 * English with the interpreter notice), the tailoring flags shown, the app-filled answers.
 */
export function draftOf(chart: Pick<BundleChart, 'context' | 'tailoring' | 'patientId' | 'encounterId'>, options: DraftOptions): Discussion {
  const { clinician } = options;
  const launch = { fhirBaseUrl: CLI_FHIR_BASE, launchId: `render-${options.id}`, fhirUser: clinician.reference, context: { userName: clinician.name ?? '' } };
  const choice = pickPackForLanguage(options.language ?? chart.context.patient?.preferredLanguage?.code, { approvedOnly: false });
  // The bundle stands for the chart as read at the command's time; its hash is the snapshot's, as the app records it.
  const chartRead = { readAt: options.at.toISOString(), sha256: snapshotHash(chart.context) };
  const snapshot = snapshotOf({ launch, context: chart.context, tailoring: chart.tailoring, choice, checklist: loadChecklist(CHECKLIST_LANGUAGE), chartRead });
  const key = { tenantId: CLI_TENANT, patientId: chart.patientId, clinician: clinician.reference, ...(chart.encounterId === undefined ? {} : { encounterId: chart.encounterId }) };
  return newDraft(key, snapshot, { id: options.id, now: options.at });
}

/**
 * The handout of the discussion, exactly as the app's handout routes print it: the same choice of content
 * (`handoutToPrint`), here without a store — so nothing counts as approved and every handout carries its DRAFT mark.
 */
export async function handoutOf(discussion: Discussion, chart: BundleChart, largePrint: boolean): Promise<HandoutRenderInput> {
  const printable = await handoutToPrint(discussion.pack, printOptionsFor(discussion, false), OFFLINE_CONTENT);
  return handoutInputFor(discussion, chart.context, printable, { largePrint, printTarget: 'pdf' });
}

/** The note text, exactly as the filing service renders it for this discussion and PDF. */
export function noteTextOf(command: RenderCommand, discussion: Discussion, chart: BundleChart, pdf: Buffer): string {
  return renderDiscussionNote(noteInputOf({
    discussion, checklist: loadChecklist(CHECKLIST_LANGUAGE), patient: chart.context.patient,
    authorReference: command.clinician.reference, appVersion: appVersion(), pdfSha256: sha256Hex(pdf),
  }));
}

/**
 * The note and the DocumentReferences asked for, each built and validated for its profile.
 * @throws AppError unprocessable naming the element when a DocumentReference breaks its profile.
 */
export function discussionOutputs(command: RenderCommand, discussion: Discussion, chart: BundleChart, pdf: Buffer): RenderOutput[] {
  const noteText = noteTextOf(command, discussion, chart, pdf);
  const outputs: RenderOutput[] = [];
  if (command.notePath !== undefined) {
    outputs.push({ path: command.notePath, data: noteText, summary: `wrote ${command.notePath} (note, SHA-256 ${sha256Hex(noteText)})` });
  }
  const at = new Date(command.attestedAt);
  const pdfInput: PdfInput = { bytes: pdf, title: PDF_TITLE, creation: at.toISOString(), language: discussion.pack.language };
  for (const target of command.documentReferences) {
    const pdfForProfile = PROFILES_WITH_PDF.has(target.profile) ? pdfInput : undefined;
    const resource = buildDocumentReference(target.profile, documentInputOf(discussion, command.clinician.reference, noteText, at, pdfForProfile));
    outputs.push({ path: target.path, data: `${JSON.stringify(resource, null, 2)}\n`, summary: `wrote ${target.path} (DocumentReference, ${target.profile})` });
  }
  return outputs;
}
