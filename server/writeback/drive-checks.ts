/**
 * The two steps of a drive that look at the chart instead of writing to it: the read-back after a create
 * (step 4: confirm the note the EHR holds is byte for byte the one sent) and the reconciliation of an outcome nobody
 * knows (step 3: search before any second send).
 */
import type { DocumentReference } from 'fhir/r4';
import type { DriveContext, DriveIo, Step } from './drive-context';
import { move } from './drive-context';
import type { IntentChanges, LedgerError, WriteIntent } from './ledger';
import type { SentNote } from './note-match';
import { compareReadback } from './note-match';
import type { ReconcileTarget } from './reconcile';
import { findCopiesInChart } from './reconcile';

/** Set on a created intent whose conditional create matched a note already in the chart (H8). */
export const MATCHED_EXISTING = 'matched_existing';
const RECHECK_MS = 60_000;

export async function sentNoteOf(ctx: DriveContext, intent: WriteIntent): Promise<SentNote> {
  const document = await ctx.ledger.payloadOf(intent.id);
  return {
    document,
    noteSha256: intent.noteSha256,
    identifier: intent.identifier,
    ...(intent.pdfSha256 === undefined ? {} : { pdfSha256: intent.pdfSha256 }),
  };
}

/** Where and what to search for when looking for copies of the intent's note in the chart. */
export function reconcileTargetOf(intent: WriteIntent): ReconcileTarget {
  return {
    patientId: intent.patientId,
    profile: intent.profile,
    createdAt: intent.createdAt,
    excludeIds: intent.replacesDocumentId === undefined ? [] : [intent.replacesDocumentId],
    ...(intent.encounterId === undefined ? {} : { encounterId: intent.encounterId }),
    ...(intent.sentAt === undefined ? {} : { sentAt: intent.sentAt }),
  };
}

/** Records why the intent stays where it is and when to look again, and ends this drive. */
async function deferred(ctx: DriveContext, intent: WriteIntent, changes: IntentChanges): Promise<Step> {
  await move(ctx, intent, 'defer', changes);
  return 'stop';
}

function searchFailure(status: number | undefined): LedgerError {
  if (status === 401) {
    return { code: 'relaunch_needed', text: 'The EHR session ended before the chart could be checked for the note.' };
  }
  if (status === 403) {
    return { code: 'reconcile_forbidden', text: 'The EHR does not let the app search the chart\'s notes, so it cannot check whether the note arrived.' };
  }
  return { code: 'reconcile_failed', text: 'The chart could not be searched for the note yet.' };
}

/** Reads the created note back and compares it with what was sent: `confirmed`, or `failed` (`readback_mismatch`). */
export async function confirmCreated(ctx: DriveContext, io: DriveIo, intent: WriteIntent): Promise<Step> {
  const read = await io.http.read<DocumentReference>(`DocumentReference/${intent.documentId ?? ''}`);
  if (read.kind !== 'ok') {
    const relaunch = read.kind === 'not-authorized' && read.status === 401;
    return deferred(ctx, intent, {
      nextAttemptInMs: RECHECK_MS,
      lastError: relaunch
        ? { code: 'relaunch_needed', text: 'The note was filed; the EHR session ended before it could be read back.' }
        : { code: 'readback_failed', text: 'The note was filed but could not be read back yet.' },
    });
  }
  const matched = intent.lastError?.code === MATCHED_EXISTING;
  const verdict = compareReadback(read.value, await sentNoteOf(ctx, intent), matched);
  if (!verdict.ok) {
    return move(ctx, intent, 'reject', { lastError: { code: 'readback_mismatch', text: `Read-back check failed: ${verdict.why}.` } });
  }
  return move(ctx, intent, 'confirm', { markConfirmed: true, nextAttemptInMs: null, lastError: null });
}

/**
 * Searches the chart for the note of an intent whose POST outcome is unknown: one copy → `reconciled`,
 * none → `pending` (the caller may send again), several → `failed`; a failed search leaves it as it is.
 */
export async function reconcileIntent(ctx: DriveContext, io: DriveIo, intent: WriteIntent): Promise<Step> {
  const result = await findCopiesInChart(io.http, reconcileTargetOf(intent), await sentNoteOf(ctx, intent));
  switch (result.kind) {
    case 'one':
      return move(ctx, intent, 'found-one', {
        documentId: result.id,
        documentUrl: `${io.write.baseUrl}/DocumentReference/${result.id}`,
        markConfirmed: true,
        nextAttemptInMs: null,
        lastError: null,
      });
    case 'none':
      return move(ctx, intent, 'found-none', {
        lastError: { code: 'not_in_chart', text: 'The chart holds no copy of the note: it is safe to send again.' },
      });
    case 'several':
      return move(ctx, intent, 'found-several', {
        lastError: { code: 'duplicates_in_chart', text: `The chart holds ${result.ids.length} copies of this note; one must be marked entered-in-error in the EHR.` },
      });
    case 'failed':
      return deferred(ctx, intent, { nextAttemptInMs: RECHECK_MS, lastError: searchFailure(result.status) });
  }
}
