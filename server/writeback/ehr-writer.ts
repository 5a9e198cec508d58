/**
 * The EHR writer: one `POST [base]/DocumentReference` and what its answer means for the ledger
 * (security-reliability.md §4.3 retry matrix, §6 H2–H8). It never retries on its own; the filing driver decides,
 * with the ledger, whether a next send is safe.
 *
 * | answer | meaning | ledger |
 * | --- | --- | --- |
 * | 201 / other 2xx | created; id from `Location` (absolute or relative, `_history` or not), else the body, else a search | created → read back |
 * | 200 to a conditional create | one match: the note is already there (H8) | created (matched) → read back |
 * | 429, 503, connection refused | not processed (RFC 6585 §4) | pending, retry after `Retry-After` or backoff |
 * | 401 | not applied; refresh once, send once more | pending; then `relaunch_needed` |
 * | 400, 403, 404, 405, 409, 413, 415, 422 | refused for good (H5) | failed, never re-sent |
 * | 412 | several matches to the conditional create | failed, flagged |
 * | timeout, reset, 3xx, other 5xx — after the request left | the EHR may have stored it (H2) | unknown → reconcile |
 */
import type { DocumentReference } from 'fhir/r4';
import type { CreatedLocation } from './location';
import { parseCreatedLocation } from './location';
import type { WriteAnswer, WriteSettings } from './fhir-write';
import { sendFhirWrite } from './fhir-write';
import type { OutcomeSummary } from './operation-outcome';
import { summariseOutcome } from './operation-outcome';

export type RejectCode = 'rejected' | 'duplicates_matched' | 'forbidden' | 'not_supported' | 'conflict' | 'too_large';

export type CreateOutcome =
  | { kind: 'created'; status: number; matched: boolean; location?: CreatedLocation; bodyId?: string }
  | { kind: 'not-applied'; reason: 'throttled' | 'unavailable' | 'unreachable'; retryAfter: string | null }
  | { kind: 'unauthorized' }
  | { kind: 'rejected'; status: number; code: RejectCode; summary: OutcomeSummary }
  | { kind: 'unknown'; reason: 'timeout' | 'connection-lost' | 'server-error' | 'redirect'; status?: number }
  | { kind: 'aborted' };

const TYPE = 'DocumentReference';
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

const REJECT_CODES: Readonly<Record<number, RejectCode>> = {
  403: 'forbidden',
  404: 'not_supported',
  405: 'not_supported',
  409: 'conflict',
  412: 'duplicates_matched',
  413: 'too_large',
};

/** The id in a returned DocumentReference body, when the server sent one (Prefer: return=representation). */
function idFromBody(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') {
    return undefined;
  }
  try {
    const body = JSON.parse(text) as Partial<DocumentReference>;
    return body.resourceType === TYPE && typeof body.id === 'string' && FHIR_ID.test(body.id) ? body.id : undefined;
  } catch {
    return undefined;
  }
}

function created(answer: Extract<WriteAnswer, { kind: 'answer' }>, baseUrl: string, conditional: boolean): CreateOutcome {
  const location = parseCreatedLocation(answer.headers.get('location'), baseUrl, TYPE);
  const bodyId = idFromBody(answer.text);
  return {
    kind: 'created',
    status: answer.status,
    matched: conditional && answer.status === 200,
    ...(location === undefined ? {} : { location }),
    ...(bodyId === undefined ? {} : { bodyId }),
  };
}

function fromStatus(answer: Extract<WriteAnswer, { kind: 'answer' }>, baseUrl: string, conditional: boolean): CreateOutcome {
  const { status } = answer;
  if (status >= 200 && status < 300) {
    return created(answer, baseUrl, conditional);
  }
  if (status === 429 || status === 503) {
    return { kind: 'not-applied', reason: status === 429 ? 'throttled' : 'unavailable', retryAfter: answer.headers.get('retry-after') };
  }
  if (status === 401) {
    return { kind: 'unauthorized' };
  }
  if (status >= 400 && status < 500) {
    return { kind: 'rejected', status, code: REJECT_CODES[status] ?? 'rejected', summary: summariseOutcome(status, answer.text) };
  }
  return status >= 300 && status < 400 ? { kind: 'unknown', reason: 'redirect', status } : { kind: 'unknown', reason: 'server-error', status };
}

/**
 * What a create's answer means (pure).
 * @param conditional - whether `If-None-Exist` was sent (only then does a 200 mean "already there").
 */
export function classifyCreateAnswer(answer: WriteAnswer, baseUrl: string, conditional: boolean): CreateOutcome {
  if (answer.kind === 'answer') {
    return fromStatus(answer, baseUrl, conditional);
  }
  if (answer.reason === 'aborted') {
    return { kind: 'aborted' };
  }
  if (!answer.sent) {
    return { kind: 'not-applied', reason: 'unreachable', retryAfter: null };
  }
  return { kind: 'unknown', reason: answer.reason === 'timeout' ? 'timeout' : 'connection-lost' };
}

/**
 * Sends the DocumentReference once.
 * @param ifNoneExist - the conditional-create condition, only where the server advertises it (capability.ts).
 */
export async function postDocumentReference(
  document: DocumentReference,
  ifNoneExist: string | undefined,
  settings: WriteSettings,
): Promise<CreateOutcome> {
  const answer = await sendFhirWrite(
    {
      method: 'POST',
      url: `${settings.baseUrl}/${TYPE}`,
      body: JSON.stringify(document),
      headers: ifNoneExist === undefined ? {} : { 'If-None-Exist': ifNoneExist },
    },
    settings,
  );
  return classifyCreateAnswer(answer, settings.baseUrl, ifNoneExist !== undefined);
}
