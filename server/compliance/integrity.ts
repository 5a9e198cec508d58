/**
 * The integrity check: is the note the app filed still, byte for byte, what the chart holds? The filed
 * DocumentReference is read back from the EHR with the compliance user's own token, through the app's one outbound
 * FHIR client (deadline, size cap, no redirects, the tenant's base only), and each attachment's SHA-256 is compared
 * with the hash the write ledger recorded when the note was sent (text: `note_sha256`; PDF: `pdf_sha256`).
 *
 * Verdicts: `match`, `changed` (other bytes, or the note's text is gone from the document), `missing` (the EHR says
 * 404/410), `entered-in-error` (the chart's copy is marked so), `not-filed` (nothing to compare), and
 * `not-checked` with the reason whenever the read itself failed — a check that could not be made never passes
 * for a match.
 */
import type { DocumentReference } from 'fhir/r4';
import type { FhirHttp } from '../chart/fhir-http';
import { sha256Hex } from '../../fhir-resources/discussion-note';
import type { DashboardRow } from './dashboard-query';

export const INTEGRITY_STATES = ['match', 'changed', 'missing', 'entered-in-error', 'not-filed', 'not-checked'] as const;
export type IntegrityState = (typeof INTEGRITY_STATES)[number];

export interface IntegrityResult {
  state: IntegrityState;
  /** Why it could not be checked, or what differs (fixed phrases: never EHR text). */
  reason?: string;
}

const mime = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** Compares the chart's copy with the ledger's hashes (pure). */
export function compareWithLedger(document: DocumentReference, filing: { noteSha256: string; pdfSha256: string | null }): IntegrityResult {
  if (document.resourceType !== 'DocumentReference') {
    return { state: 'not-checked', reason: 'the EHR answered with something other than a DocumentReference' };
  }
  if (document.status === 'entered-in-error' || document.docStatus === 'entered-in-error') {
    return { state: 'entered-in-error' };
  }
  const attachments = (document.content ?? []).map((c) => c.attachment);
  const withBytes = attachments.filter((a) => typeof a.data === 'string' && a.data !== '');
  if (withBytes.length === 0) {
    return { state: 'not-checked', reason: 'the EHR returned the document without its content' };
  }
  let noteSeen = false;
  for (const attachment of withBytes) {
    const type = mime(attachment.contentType);
    const digest = sha256Hex(Buffer.from(attachment.data ?? '', 'base64'));
    if (type === 'application/pdf') {
      if (filing.pdfSha256 !== null && digest !== filing.pdfSha256) {
        return { state: 'changed', reason: 'the handout PDF in the chart differs from the one filed' };
      }
    } else if (type.startsWith('text/')) {
      noteSeen = true;
      if (digest !== filing.noteSha256) {
        return { state: 'changed', reason: 'the note text in the chart differs from the one filed' };
      }
    }
  }
  return noteSeen ? { state: 'match' } : { state: 'changed', reason: 'the note text is no longer in the document' };
}

/** Reads one row's filed note back and judges it. */
export async function checkIntegrity(fhir: FhirHttp, row: DashboardRow): Promise<IntegrityResult> {
  const filing = row.filing;
  if (filing?.documentId === null || filing?.documentId === undefined) {
    return { state: 'not-filed' };
  }
  if (filing.fhirBaseUrl.replace(/\/+$/, '') !== fhir.baseUrl) {
    return { state: 'not-checked', reason: 'the note was filed at another FHIR server than this sign-in reaches' };
  }
  const read = await fhir.read<DocumentReference>(`DocumentReference/${filing.documentId}`);
  switch (read.kind) {
    case 'ok': {
      const verdict = compareWithLedger(read.value, filing);
      // The app marked it entered in error; a chart copy that does not say so has been changed back.
      return filing.state === 'entered-in-error' && verdict.state !== 'entered-in-error' && verdict.state !== 'not-checked'
        ? { state: 'changed', reason: 'the chart no longer marks the note entered in error, as the app did' }
        : verdict;
    }
    case 'not-authorized':
      return { state: 'not-checked', reason: `the EHR refused the read (${read.status})` };
    case 'failed':
      return read.status === 404 || read.status === 410 ? { state: 'missing' } : { state: 'not-checked', reason: read.reason };
  }
}

const CONCURRENCY = 6;

/** Checks a page's rows, a few reads at a time (a page is at most 100 rows; each read has its own deadline). */
export async function checkPage(fhir: FhirHttp, rows: readonly DashboardRow[]): Promise<Map<string, IntegrityResult>> {
  const results = new Map<string, IntegrityResult>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      const row = rows[next];
      next += 1;
      if (row !== undefined) {
        results.set(row.discussionId, await checkIntegrity(fhir, row).catch((): IntegrityResult => ({ state: 'not-checked', reason: 'the read could not be made' })));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rows.length) }, worker));
  return results;
}
