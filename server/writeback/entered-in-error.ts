/**
 * Marking a filed note entered-in-error in the EHR: read it, set `status` to `entered-in-error`, `PUT` it back with
 * `If-Match` when the EHR gave a version (FHIR R4 version-aware update, https://hl7.org/fhir/R4/http.html#update).
 * Allowed for the generic (US Core) and Epic profiles. Not for Oracle Health from the app: its update takes fewer
 * content types than its create — no `text/plain`, which is what the app files — and it ignores `relatesTo`, so a
 * replacement could not point at what it replaces (research ehr-writeback.md §2.1 "Update", Implications 9); the
 * clinician corrects the note in PowerChart instead. Idempotent: a note already marked counts as done.
 */
import type { DocumentReference } from 'fhir/r4';
import type { WriteProfile } from '../../fhir-resources/document-reference';
import { AppError } from '../errors';
import type { DriveIo } from './drive-context';
import { sendFhirWrite } from './fhir-write';
import { summariseOutcome } from './operation-outcome';

export function assertRetractable(profile: WriteProfile): void {
  if (profile === 'oracle') {
    throw new AppError('unprocessable', 'Oracle Health does not let the app mark a note entered-in-error.', {
      hint: 'Mark the note in error in PowerChart; the discussion record here keeps its history.',
      details: { reason: 'vendor_does_not_allow' },
    });
  }
}

async function putOnce(io: DriveIo, document: DocumentReference): Promise<Awaited<ReturnType<typeof sendFhirWrite>>> {
  const versionId = document.meta?.versionId;
  return sendFhirWrite(
    {
      method: 'PUT',
      url: `${io.write.baseUrl}/DocumentReference/${document.id ?? ''}`,
      body: JSON.stringify({ ...document, status: 'entered-in-error' }),
      headers: versionId === undefined ? {} : { 'If-Match': `W/"${versionId}"` },
    },
    io.write,
  );
}

/**
 * Marks the chart's copy entered-in-error.
 * @throws AppError when the EHR refuses (with its reason), cannot be reached, or the session needs a relaunch.
 */
export async function retractInChart(io: DriveIo, documentId: string): Promise<void> {
  const read = await io.http.read<DocumentReference>(`DocumentReference/${documentId}`);
  if (read.kind !== 'ok') {
    throw new AppError('bad_gateway', 'The note could not be read from the chart, so it was not marked entered-in-error.', {
      details: { reason: read.kind === 'not-authorized' ? 'relaunch_needed' : 'read_failed' },
    });
  }
  if (read.value.status === 'entered-in-error') {
    return;
  }
  let answer = await putOnce(io, read.value);
  if (answer.kind === 'answer' && answer.status === 401 && (await io.provider.refreshAfterUnauthorized())) {
    answer = await putOnce(io, read.value);
  }
  if (answer.kind === 'no-answer') {
    throw new AppError('gateway_timeout', 'The EHR did not answer; the note may or may not be marked entered-in-error yet.', {
      hint: 'Try again: the app checks the chart first.',
      details: { reason: 'no_answer' },
    });
  }
  if (answer.status < 200 || answer.status >= 300) {
    const summary = summariseOutcome(answer.status, answer.text);
    throw new AppError('bad_gateway', `The EHR refused to mark the note entered-in-error (${summary.safe}).`, {
      ...(summary.readable === undefined ? {} : { hint: `The EHR said: ${summary.readable}` }),
      details: { reason: answer.status === 401 ? 'relaunch_needed' : 'refused' },
    });
  }
}
