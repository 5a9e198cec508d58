/**
 * Everything that happens before an intent is recorded: check the discussion may be filed from this launch, take
 * the patient's demographics for the note header from the launch's chart snapshot, render the PDF where the profile takes one, check sizes against
 * the tenant's limit (H9: a clear error before anything is sent), render the note, build the DocumentReference for
 * the tenant's write profile and validate it. Nothing invalid is ever recorded, so nothing invalid is ever sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DocumentReference } from 'fhir/r4';
import { renderDiscussionNote, sha256Hex } from '../../fhir-resources/discussion-note';
import type { PdfInput, WriteProfile } from '../../fhir-resources/document-reference';
import { buildDocumentReference, MAX_ATTACHMENT_BYTES, validateForProfile } from '../../fhir-resources/document-reference';
import type { PatientContext, PatientFacts } from '../chart/patient-context';
import type { AppConfig, TenantConfig } from '../config';
import type { Discussion } from '../consent/discussion';
import { AppError } from '../errors';
import type { Checklist } from '../content/checklist-schema';
import { projectRoot } from '../project-root';
import type { LaunchSession } from '../store/launch-sessions';
import type { HandoutPdfSource } from './handout-pdf';
import type { NewIntent } from './ledger';
import type { NoteSources } from './note-input';
import { authorReferenceOf, documentInputOf, noteInputOf } from './note-input';

export interface PrepareInput {
  config: AppConfig;
  tenant: TenantConfig;
  profile: WriteProfile;
  launch: LaunchSession;
  discussion: Discussion;
  checklist: Checklist;
  /** The launch's chart snapshot: the note header's demographics and, for a PDF profile, the handout. */
  context: PatientContext;
  pdfs: HandoutPdfSource;
  appVersion: string;
  now: Date;
  /** The note this one replaces (after marking it entered-in-error), with who marked it, when and why. */
  replaces?: Replacement;
}

export type Replacement = NonNullable<NoteSources['replaces']>;

/** The note as it will be filed: its text, and the handout PDF where the profile files one. */
export interface PreparedNote {
  noteText: string;
  author: string;
  pdf?: PdfInput;
  pdfSha256?: string;
}

/** The app's version as the note prints it ("Written by: ITDD Consent app version …"). */
export function appVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

/** The largest attachment this tenant takes: its own limit, else the app's, never above the validator's 5 MiB. */
export function attachmentLimitOf(config: AppConfig, tenant: TenantConfig): number {
  return Math.min(tenant.maxAttachmentBytes ?? config.writeMaxAttachmentBytes ?? MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_BYTES);
}

function checkSize(bytes: number, limit: number, what: string): void {
  if (bytes > limit) {
    throw new AppError('unprocessable', `The ${what} is too large for this EHR (${Math.ceil(bytes / 1024)} KB; the limit is ${Math.floor(limit / 1024)} KB), so nothing was sent.`, {
      hint: 'Ask your EHR analyst about the document size limit.',
      details: { reason: 'attachment_too_large', bytes, limit },
    });
  }
}

/** Adds the replacement link (US Core 9 "Writing Clinical Notes": `relatesTo` `replaces`) and re-validates. */
function withReplaces(profile: WriteProfile, document: DocumentReference, replaced: string | undefined): DocumentReference {
  if (replaced === undefined) {
    return document;
  }
  const linked: DocumentReference = { ...document, relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${replaced}` } }] };
  validateForProfile(profile, linked);
  return linked;
}

/**
 * Renders the note exactly as it will be filed (and as the clinician previews it before filing: the same function,
 * so what they read is what reaches the chart).
 */
export async function prepareNote(input: Omit<PrepareInput, 'now'>): Promise<PreparedNote> {
  const { discussion: d, launch, profile } = input;
  const author = authorReferenceOf(launch.fhirUser ?? '', launch.fhirBaseUrl);
  const limit = attachmentLimitOf(input.config, input.tenant);
  const patient: PatientFacts | undefined = input.context.patient;
  let pdf: PdfInput | undefined;
  if (profile === 'us-core') {
    pdf = await input.pdfs.render({ discussion: d, context: input.context });
    checkSize(pdf.bytes.length, limit, 'handout PDF');
  }
  const pdfSha256 = pdf === undefined ? undefined : sha256Hex(pdf.bytes);
  const noteText = renderDiscussionNote(noteInputOf({
    discussion: d, checklist: input.checklist, patient, authorReference: author, appVersion: input.appVersion,
    ...(pdfSha256 === undefined ? {} : { pdfSha256 }),
    ...(input.replaces === undefined ? {} : { replaces: input.replaces }),
  }));
  checkSize(Buffer.byteLength(noteText, 'utf8'), limit, 'note');
  return { noteText, author, ...(pdf === undefined ? {} : { pdf }), ...(pdfSha256 === undefined ? {} : { pdfSha256 }) };
}

export async function prepareIntent(input: PrepareInput): Promise<NewIntent> {
  const { discussion: d, launch, profile } = input;
  const { noteText, author, pdf, pdfSha256 } = await prepareNote(input);
  const replacesDocumentId = input.replaces?.documentId;
  const built = buildDocumentReference(profile, documentInputOf(d, author, noteText, input.now, pdf));
  return {
    discussionId: d.id, tenantId: d.tenantId, fhirBaseUrl: d.fhirBaseUrl, patientId: d.patientId, clinician: d.clinician.fhirUser,
    launchId: launch.launchId, profile, documentReference: withReplaces(profile, built, replacesDocumentId),
    noteSha256: sha256Hex(noteText),
    ...(d.encounterId === undefined ? {} : { encounterId: d.encounterId }),
    ...(pdfSha256 === undefined ? {} : { pdfSha256 }),
    ...(replacesDocumentId === undefined ? {} : { replacesDocumentId }),
  };
}
