import type { AppError } from '../errors';
import { badGateway, isAppError } from '../errors';
import { discard, readCapped } from './body';

/**
 * Every request the server makes to an EHR's auth endpoints goes through here: a deadline (undici's own default
 * is minutes), a body-size cap, and redirects refused (a redirect could point the request anywhere — SSRF).
 */
export interface OutboundOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  maxBytes?: number;
  /** What the request was for, in words shown to the clinician on failure ("the EHR's sign-in keys"). */
  purpose: string;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  text: string;
}

export async function fetchOutbound(url: string, options: OutboundOptions): Promise<OutboundResponse> {
  const { timeoutMs = 10_000, maxBytes = 1_000_000, purpose } = options;
  // Kept to ask afterwards whether the clock fired: the error fetch throws may come from another realm (or wrap
  // the reason), so its class and name are not a reliable sign of a timeout.
  const deadline = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      body: options.body ?? null,
      redirect: 'manual',
      signal: deadline,
    });
  } catch (error) {
    throw unreachable(error, purpose, deadline.aborted);
  }
  if (response.status >= 300 && response.status < 400) {
    await discard(response);
    throw badGateway(`The EHR answered with a redirect for ${purpose}; redirects are not followed.`, {
      details: { reason: OUTBOUND_REASON.redirect },
    });
  }
  let text: string | undefined;
  try {
    text = await readCapped(response, maxBytes);
  } catch (error) {
    // The deadline also covers the body: an EHR that sends its headers and then trickles is "too slow" too.
    throw unreachable(error, purpose, deadline.aborted);
  }
  if (text === undefined) {
    throw badGateway(`The EHR sent too much data for ${purpose}.`, { details: { reason: OUTBOUND_REASON.tooLarge } });
  }
  return { status: response.status, headers: response.headers, text };
}

/** Machine reasons on the errors above, so a caller can tell "too slow" from "unreachable" without parsing words. */
export const OUTBOUND_REASON = {
  timeout: 'ehr_timeout',
  unreachable: 'ehr_unreachable',
  redirect: 'ehr_redirect',
  tooLarge: 'ehr_too_large',
} as const;

function unreachable(error: unknown, purpose: string, timedOut: boolean): AppError {
  return badGateway(timedOut ? `The EHR did not answer in time (${purpose}).` : `The EHR could not be reached (${purpose}).`, {
    cause: error,
    details: { reason: timedOut ? OUTBOUND_REASON.timeout : OUTBOUND_REASON.unreachable },
  });
}

/** True when `error` is fetchOutbound's "the EHR did not answer before the deadline". */
export function isOutboundTimeout(error: unknown): boolean {
  return isAppError(error) && error.details?.reason === OUTBOUND_REASON.timeout;
}

/** GET or POST expecting a JSON object with a 2xx status. */
export async function fetchJsonObject(url: string, options: OutboundOptions): Promise<Record<string, unknown>> {
  const response = await fetchOutbound(url, { ...options, headers: { accept: 'application/json', ...options.headers } });
  if (response.status < 200 || response.status >= 300) {
    throw badGateway(`The EHR answered ${response.status} for ${options.purpose}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch {
    throw badGateway(`The EHR's answer for ${options.purpose} was not JSON.`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw badGateway(`The EHR's answer for ${options.purpose} was not a JSON object.`);
  }
  return json as Record<string, unknown>;
}
