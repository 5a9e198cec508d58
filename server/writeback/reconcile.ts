/**
 * Reconciliation: what an intent whose POST has no known outcome (`unknown`, or `sent` by a process that died) is
 * checked against before anything is sent again (security-reliability.md §4.2 step 4; ARCHITECTURE.md §4). The chart
 * is searched for the patient's notes of this encounter and type since a little before the note was built or sent
 * (`DocumentReference?patient=&encounter=&type=&date=ge…`, plus `identifier=` where the server keeps identifiers),
 * and each result is compared with what was sent (note-match.ts):
 * exactly one copy → `reconciled` with its id; none → `pending` (safe to send again); several → `failed`
 * (`duplicates_in_chart`, for a human to resolve in the EHR).
 */
import type { DocumentReference } from 'fhir/r4';
import type { WriteProfile } from '../../fhir-resources/document-reference';
import type { FhirHttp } from '../chart/fhir-http';
import type { SentNote } from './note-match';
import { isCopyOfNote } from './note-match';

export type ReconcileResult =
  | { kind: 'none' }
  | { kind: 'one'; id: string }
  | { kind: 'several'; ids: string[] }
  | { kind: 'failed'; status?: number };

export interface ReconcileTarget {
  patientId: string;
  encounterId?: string;
  profile: WriteProfile;
  /** When the intent was recorded and last sent: the search window starts 5 minutes before the earliest. */
  createdAt: Date;
  sentAt?: Date;
  /** Documents that cannot be this note (the one a replacement replaces). */
  excludeIds: readonly string[];
}

const WINDOW_MS = 5 * 60_000;
/** Profiles whose servers keep `identifier` on create (Oracle ignores it; Epic's behaviour is unverified). */
const KEEPS_IDENTIFIER: ReadonlySet<WriteProfile> = new Set(['us-core']);

/** `ge` + an instant 5 minutes before the earliest of the note's `date`, its recording and its sending. */
function sinceParam(target: ReconcileTarget, document: DocumentReference): string {
  const times = [target.createdAt.getTime(), target.sentAt?.getTime(), document.date === undefined ? undefined : Date.parse(document.date)]
    .filter((t): t is number => t !== undefined && !Number.isNaN(t));
  return `ge${new Date(Math.min(...times) - WINDOW_MS).toISOString()}`;
}

/** The search parameters (pure). */
export function reconcileSearchParams(target: ReconcileTarget, sent: SentNote): Record<string, string> {
  const coding = sent.document.type?.coding?.[0];
  const params: Record<string, string> = { patient: target.patientId, date: sinceParam(target, sent.document), _count: '100' };
  if (target.encounterId !== undefined) {
    params.encounter = target.encounterId;
  }
  if (coding?.system !== undefined && coding.code !== undefined) {
    params.type = `${coding.system}|${coding.code}`;
  }
  if (KEEPS_IDENTIFIER.has(target.profile)) {
    params.identifier = `urn:ietf:rfc:3986|${sent.identifier}`;
  }
  return params;
}

/** The ids of the copies of the note among the search results (pure). */
export function copiesAmong(documents: readonly DocumentReference[], sent: SentNote, excludeIds: readonly string[]): string[] {
  const ids = documents.filter((d) => isCopyOfNote(d, sent, excludeIds)).map((d) => d.id ?? '');
  return [...new Set(ids.filter((id) => id !== ''))];
}

/** Searches the chart for copies of the note. A search that fails decides nothing: the intent stays as it is. */
export async function findCopiesInChart(http: FhirHttp, target: ReconcileTarget, sent: SentNote): Promise<ReconcileResult> {
  const outcome = await http.search<DocumentReference>('DocumentReference', reconcileSearchParams(target, sent), { maxPages: 5 });
  if (outcome.kind !== 'ok') {
    return outcome.status === undefined ? { kind: 'failed' } : { kind: 'failed', status: outcome.status };
  }
  if ((outcome.notes ?? []).length > 0) {
    return { kind: 'failed' };
  }
  const documents = (outcome.value.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is DocumentReference => r?.resourceType === 'DocumentReference');
  const ids = copiesAmong(documents, sent, target.excludeIds);
  if (ids.length === 0) {
    return { kind: 'none' };
  }
  return ids.length === 1 ? { kind: 'one', id: ids[0] } : { kind: 'several', ids };
}
