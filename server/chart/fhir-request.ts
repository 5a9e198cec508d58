import { isUnderBase } from './fhir-url';
import { discard, readCapped } from '../http/body';
import { startDeadline } from '../http/deadline';
import { isEhrPaused } from '../http/ehr-breakers';

/**
 * One guarded GET against the EHR's FHIR server. Everything the EHR sends is untrusted, so each request has a
 * deadline that covers headers *and* body (undici's own default is 300 s; security research §6 I2), a byte cap
 * enforced while streaming (F10), no redirect following (A9: a 3xx could carry the bearer token elsewhere), and a
 * content-type check (an HTML login page is not FHIR). Reasons are fixed phrases: never EHR text, never a URL.
 */

export type FhirOutcome<T> =
  | { kind: 'ok'; value: T; notes?: string[] }
  | { kind: 'not-authorized'; status: 401 | 403 }
  | { kind: 'failed'; status?: number; reason: string };

export interface RequestSettings {
  baseUrl: string;
  getAccessToken(): Promise<string>;
  /** Single-flight refresh supplied by `createFhirHttp`; resolves true when a new token is available. */
  refreshAfterUnauthorized?: () => Promise<boolean>;
  /** Told when the EHR refuses, with 401, a token it has just issued by a refresh. */
  refusedAfterRefresh?: () => void;
  timeoutMs: number;
  maxBytes: number;
  fetchImpl: typeof fetch;
}

type Answer = { kind: 'answer'; status: number; text?: string } | { kind: 'failed'; status?: number; reason: string };

export const failed = (reason: string, status?: number): { kind: 'failed'; status?: number; reason: string } =>
  status === undefined ? { kind: 'failed', reason } : { kind: 'failed', status, reason };

/** `application/fhir+json`, `application/json`, the DSTU2-era `application/json+fhir`, or any `+json` type. */
export function isJsonContentType(header: string | null): boolean {
  const mime = (header ?? '').split(';')[0].trim().toLowerCase();
  return mime === 'application/json' || mime === 'application/json+fhir' || /^application\/[a-z0-9.+-]+\+json$/.test(mime);
}

/**
 * GETs `url` with the bearer token and parses the JSON body. A 401 triggers one token refresh and one retry
 * (SMART: an expired token is refreshed, never looped on; research §6 C10/F1).
 */
export async function getFhirJson(url: string, settings: RequestSettings): Promise<FhirOutcome<unknown>> {
  if (!isUnderBase(url, settings.baseUrl)) {
    return failed('a link pointed outside the EHR and was not followed');
  }
  let answer = await fetchOnce(url, await settings.getAccessToken(), settings);
  if (answer.kind === 'answer' && answer.status === 401 && settings.refreshAfterUnauthorized) {
    if (await settings.refreshAfterUnauthorized()) {
      answer = await fetchOnce(url, await settings.getAccessToken(), settings);
      if (answer.kind === 'answer' && answer.status === 401) {
        settings.refusedAfterRefresh?.();
      }
    }
  }
  return answer.kind === 'failed' ? answer : interpret(answer.status, answer.text);
}

function interpret(status: number, text: string | undefined): FhirOutcome<unknown> {
  if (status === 401 || status === 403) {
    return { kind: 'not-authorized', status };
  }
  if (status >= 300 && status < 400) {
    return failed('the EHR answered with a redirect, which was not followed', status);
  }
  if (status !== 200 || text === undefined) {
    return failed(`the EHR answered ${status}`, status);
  }
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown };
  } catch {
    return failed('the EHR did not answer with valid JSON', status);
  }
}

async function fetchOnce(url: string, token: string, settings: RequestSettings): Promise<Answer> {
  const deadline = startDeadline(settings.timeoutMs);
  try {
    const response = await settings.fetchImpl(url, {
      method: 'GET',
      redirect: 'manual',
      headers: { Accept: 'application/fhir+json', Authorization: `Bearer ${token}` },
      signal: deadline.signal,
    });
    return await readAnswer(response, settings.maxBytes);
  } catch (error) {
    if (isEhrPaused(error)) {
      return failed('the app paused its calls to the EHR after repeated failures; it tries again within a minute');
    }
    return failed(deadline.timedOut() ? 'the EHR did not answer in time' : 'the EHR could not be reached');
  } finally {
    deadline.clear();
  }
}

/** Reads the body of a 200 only; any other status is answered from the status line alone. */
async function readAnswer(response: Response, maxBytes: number): Promise<Answer> {
  if (response.status !== 200) {
    await discard(response);
    return { kind: 'answer', status: response.status };
  }
  if (!isJsonContentType(response.headers.get('content-type'))) {
    await discard(response);
    return failed('the EHR did not answer with FHIR JSON', 200);
  }
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await discard(response);
    return failed("the EHR's answer was too large", 200);
  }
  const text = await readCapped(response, maxBytes);
  return text === undefined ? failed("the EHR's answer was too large", 200) : { kind: 'answer', status: 200, text };
}

