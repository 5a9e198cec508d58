/**
 * Rows of `write_intents` (migration 003) to and from {@link WriteIntent}. Only the sealed columns hold PHI: the
 * DocumentReference (`payload_sealed`) and the EHR's own words about a refusal (`detail_sealed`), each sealed with a
 * context naming the row and the column, so a value copied into another row or column does not open.
 */
import type { DocumentReference } from 'fhir/r4';
import type { WriteProfile } from '../../fhir-resources/document-reference';
import { AppError } from '../errors';
import type { SealedBox } from '../store/sealed-box';
import type { LedgerState } from './ledger-states';
import { isLedgerState } from './ledger-states';

export interface LedgerError {
  /** Stable, PHI-free code, e.g. `relaunch_needed`, `rejected`, `duplicates_in_chart`. */
  code: string;
  /** A short sentence safe to log and to show: fixed app phrases and FHIR element paths, never chart text. */
  text: string;
}

export interface WriteIntent {
  id: string;
  intentKey: string;
  discussionId: string;
  tenantId: string;
  fhirBaseUrl: string;
  patientId: string;
  encounterId?: string;
  /** The clinician's fhirUser: a relaunch by the same clinician resumes the intent. */
  clinician: string;
  /** The launch whose token last drove the intent (the recovery sweep uses it while it lives). */
  launchId?: string;
  profile: WriteProfile;
  state: LedgerState;
  /** POSTs sent so far. */
  attempts: number;
  nextAttemptAt?: Date;
  lastError?: LedgerError;
  documentId?: string;
  documentUrl?: string;
  /** `urn:uuid:<discussion id>`. */
  identifier: string;
  replacesDocumentId?: string;
  requestSha256: string;
  noteSha256: string;
  pdfSha256?: string;
  leaseOwner?: string;
  leaseUntil?: Date;
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
  confirmedAt?: Date;
}

export interface IntentRow {
  id: string;
  intent_key: string;
  discussion_id: string;
  tenant_id: string;
  fhir_base_url: string;
  patient_id: string;
  encounter_id: string | null;
  clinician: string;
  launch_id: string | null;
  profile: string;
  state: string;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  last_error_text: string | null;
  document_id: string | null;
  document_url: string | null;
  identifier: string;
  replaces_document_id: string | null;
  request_sha256: string;
  note_sha256: string;
  pdf_sha256: string | null;
  lease_owner: string | null;
  lease_until: Date | null;
  payload_sealed: string;
  detail_sealed: string | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  confirmed_at: Date | null;
}

export const payloadContext = (id: string): string => `write_intents.payload:${id}`;
export const detailContext = (id: string): string => `write_intents.detail:${id}`;

/** Copies `value` to `key` only when the column is not NULL (optional members stay absent, not undefined). */
function optional<K extends keyof WriteIntent>(target: WriteIntent, key: K, value: WriteIntent[K] | null): void {
  if (value !== null) {
    target[key] = value;
  }
}

export function intentFromRow(row: IntentRow): WriteIntent {
  if (!isLedgerState(row.state)) {
    throw new AppError('internal', 'A write-ledger row has an unknown state');
  }
  const intent: WriteIntent = {
    id: row.id, intentKey: row.intent_key, discussionId: row.discussion_id, tenantId: row.tenant_id,
    fhirBaseUrl: row.fhir_base_url, patientId: row.patient_id, clinician: row.clinician,
    profile: row.profile as WriteProfile, state: row.state, attempts: row.attempts, identifier: row.identifier,
    requestSha256: row.request_sha256, noteSha256: row.note_sha256, createdAt: row.created_at, updatedAt: row.updated_at,
  };
  optional(intent, 'encounterId', row.encounter_id);
  optional(intent, 'launchId', row.launch_id);
  optional(intent, 'nextAttemptAt', row.next_attempt_at);
  optional(intent, 'documentId', row.document_id);
  optional(intent, 'documentUrl', row.document_url);
  optional(intent, 'replacesDocumentId', row.replaces_document_id);
  optional(intent, 'pdfSha256', row.pdf_sha256);
  optional(intent, 'leaseOwner', row.lease_owner);
  optional(intent, 'leaseUntil', row.lease_until);
  optional(intent, 'sentAt', row.sent_at);
  optional(intent, 'confirmedAt', row.confirmed_at);
  if (row.last_error !== null) {
    intent.lastError = { code: row.last_error, text: row.last_error_text ?? '' };
  }
  return intent;
}

/** The DocumentReference this intent sends (PHI, opened only to send, read back or reconcile). */
export function openPayload(box: SealedBox, row: Pick<IntentRow, 'id' | 'payload_sealed'>): DocumentReference {
  return box.open(row.payload_sealed, payloadContext(row.id)) as DocumentReference;
}

export function openDetail(box: SealedBox, row: Pick<IntentRow, 'id' | 'detail_sealed'>): string | undefined {
  return row.detail_sealed === null ? undefined : (box.open(row.detail_sealed, detailContext(row.id)) as string);
}
