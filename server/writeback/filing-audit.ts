/**
 * The audit row of a filing's state (pure): the states a compliance review asks about — the note filed (confirmed
 * by reading it back, or found by reconciliation), the filing failed for a person to handle, the note marked entered
 * in error — with the document id, the note's and the PDF's SHA-256 and the profile. Other states (pending, sent,
 * deferred) are the machinery of getting there and are not audited one by one.
 */
import type { AuditAction, AuditRecord } from '../audit/audit-record';
import type { WriteIntent } from './ledger-rows';

const ACTION_OF_STATE: Partial<Record<WriteIntent['state'], AuditAction>> = {
  confirmed: 'document.filed',
  reconciled: 'document.reconciled',
  failed: 'document.failed',
  'entered-in-error': 'document.entered-in-error',
};

export function filingAuditRecord(intent: WriteIntent): AuditRecord | undefined {
  const action = ACTION_OF_STATE[intent.state];
  if (action === undefined) {
    return undefined;
  }
  return {
    action,
    outcome: intent.state === 'failed' ? 'failure' : 'success',
    tenantId: intent.tenantId,
    actor: intent.clinician,
    patientId: intent.patientId,
    entities: [
      { type: 'Discussion', id: intent.discussionId },
      ...(intent.documentId === undefined ? [] : [{ type: 'DocumentReference', id: intent.documentId }]),
      ...(intent.replacesDocumentId === undefined ? [] : [{ type: 'ReplacedDocumentReference', id: intent.replacesDocumentId }]),
    ],
    ...(intent.lastError === undefined ? {} : { reason: intent.lastError.code }),
    detail: {
      profile: intent.profile,
      noteSha256: intent.noteSha256,
      ...(intent.pdfSha256 === undefined ? {} : { pdfSha256: intent.pdfSha256 }),
    },
  };
}
