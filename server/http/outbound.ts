import { badGateway } from '../errors';
import { readCapped } from './body';

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
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      body: options.body ?? null,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw badGateway(
      timedOut ? `The EHR did not answer in time (${purpose}).` : `The EHR could not be reached (${purpose}).`,
      { cause: error },
    );
  }
  if (response.status >= 300 && response.status < 400) {
    throw badGateway(`The EHR answered with a redirect for ${purpose}; redirects are not followed.`);
  }
  const text = await readCapped(response, maxBytes);
  if (text === undefined) {
    throw badGateway(`The EHR sent too much data for ${purpose}.`);
  }
  return { status: response.status, headers: response.headers, text };
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
