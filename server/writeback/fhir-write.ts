/**
 * One guarded write (POST/PUT) to the tenant's FHIR server: the counterpart of `chart/fhir-request.ts`'s GET, with
 * the same rules — the bearer token only for URLs under the tenant's base, a deadline over headers *and* body,
 * a byte cap while streaming, no redirects followed — and one more thing a write needs: telling "the request never
 * left" (connection refused, DNS, TLS: safe to send again) from "it left and no answer came" (timeout, reset: the EHR
 * may have stored it, so the ledger must reconcile before anything is sent again; security-reliability.md §4.3).
 */
import { isEhrPaused } from '../http/ehr-breakers';
import { discard, readCapped } from '../http/body';
import { startDeadline } from '../http/deadline';
import type { RequestSettings } from '../chart/fhir-request';
import { isUnderBase } from '../chart/fhir-url';
import { AppError } from '../errors';

export type WriteAnswer =
  | { kind: 'answer'; status: number; headers: Headers; text: string | undefined }
  | { kind: 'no-answer'; sent: boolean; reason: 'timeout' | 'connection-lost' | 'unreachable' | 'aborted' };

export interface WriteSettings extends RequestSettings {
  /** Aborted when the app stops: the write is abandoned without any conclusion drawn. */
  signal?: AbortSignal;
}

export interface WriteRequest {
  method: 'POST' | 'PUT';
  url: string;
  body: string;
  headers?: Record<string, string>;
}

/** Failures that happen before a byte of the request can have reached the server. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The `code` of an undici network error (`TypeError: fetch failed` with the socket error as its cause). Read
 * structurally, not with `instanceof`: the error may come from another realm (a VM context, a test runner).
 */
function errorCode(error: unknown): string | undefined {
  const cause = typeof error === 'object' && error !== null ? (error as { cause?: { code?: unknown } }).cause : undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function failure(error: unknown, timedOut: boolean, stopped: boolean): WriteAnswer {
  if (stopped) {
    return { kind: 'no-answer', sent: true, reason: 'aborted' };
  }
  if (timedOut) {
    return { kind: 'no-answer', sent: true, reason: 'timeout' };
  }
  if (isEhrPaused(error)) {
    return { kind: 'no-answer', sent: false, reason: 'unreachable' }; // the breaker held it back: retried later
  }
  const code = errorCode(error);
  return code !== undefined && NOT_SENT_CODES.has(code)
    ? { kind: 'no-answer', sent: false, reason: 'unreachable' }
    : { kind: 'no-answer', sent: true, reason: 'connection-lost' };
}

/** Reads the answer; a body lost or over the cap after the status line arrived still leaves the status. */
async function readWriteAnswer(response: Response, maxBytes: number): Promise<WriteAnswer> {
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await discard(response);
    return { kind: 'answer', status: response.status, headers: response.headers, text: undefined };
  }
  const text = await readCapped(response, maxBytes).catch(() => undefined);
  return { kind: 'answer', status: response.status, headers: response.headers, text };
}

/**
 * Sends one write with the launch's token. Never retries by itself: what to do next is the ledger's decision.
 * @throws AppError internal for a URL outside the tenant's base (a bug: the caller builds every URL).
 */
export async function sendFhirWrite(request: WriteRequest, settings: WriteSettings): Promise<WriteAnswer> {
  if (!isUnderBase(request.url, settings.baseUrl)) {
    throw new AppError('internal', 'A write was addressed outside the EHR it belongs to, and was not sent.');
  }
  const token = await settings.getAccessToken();
  const deadline = startDeadline(settings.timeoutMs, settings.signal);
  try {
    const response = await settings.fetchImpl(request.url, {
      method: request.method,
      redirect: 'manual',
      headers: {
        Accept: 'application/fhir+json',
        'Content-Type': 'application/fhir+json',
        Authorization: `Bearer ${token}`,
        ...request.headers,
      },
      body: request.body,
      signal: deadline.signal,
    });
    return await readWriteAnswer(response, settings.maxBytes);
  } catch (error) {
    return failure(error, deadline.timedOut(), settings.signal?.aborted === true);
  } finally {
    deadline.clear();
  }
}
