/**
 * fhir-kit-client (what the customer asked the gap report to read with) on the app's outbound rules.
 *
 * fhir-kit-client 2.x sends every request — `search`, `nextPage`, `read`, … — through one method,
 * `client.httpClient.request(method, url, options, body)`, which calls the global `fetch` with keep-alive, follows
 * redirects (fetch's default) and reads the whole body with `response.text()`: no deadline unless a signal is given,
 * no size cap, and any `next` link the server sends is fetched with the bearer token, wherever it points. Its options
 * can pass `redirect` and a signal, but nothing can cap the body, so options alone would not keep the rules.
 *
 * So the client keeps its API (query building, paging by `next` links, JSON handling) and that one method is given
 * the app's transport instead: `fetchOutbound` (`server/http/outbound.ts`: a deadline covering headers and body, a
 * size cap enforced while streaming, redirects refused), GET only, every URL pinned under the tenant's FHIR base
 * before the token is attached, and one retry with a fresh token after a 401. The bearer token is never set on the
 * client itself, so nothing of fhir-kit-client's own (its debug logging prints request headers) ever holds it.
 */
import type * as FhirKitModule from 'fhir-kit-client';
import type { Client } from 'fhir-kit-client';
import { AppError, badGateway } from '../errors';
import { fetchOutbound } from '../http/outbound';
import { isUnderBase, normaliseBaseUrl } from '../chart/fhir-url';

export interface PinnedClientOptions {
  baseUrl: string;
  /** A bearer token for this base (cached by the caller); `fresh` asks for a new one after a 401. */
  accessToken(fresh: boolean): Promise<string>;
  /** Per request, headers and body. Default 15 000 ms. */
  timeoutMs?: number;
  /** Per response. Default 5 MB. */
  maxBytes?: number;
}

type RequestFn = Client['httpClient']['request'];

/** Loaded on first use: fhir-kit-client is an ES module (Node requires it natively; the import keeps that lazy). */
async function fhirKit(): Promise<typeof FhirKitModule> {
  return import('fhir-kit-client');
}

/** The EHR's status on a refused or failed read, for callers that tell "not authorized" from "broken". */
export function ehrStatusOf(error: unknown): number | undefined {
  const status = error instanceof AppError ? error.details?.status : undefined;
  return typeof status === 'number' ? status : undefined;
}

export async function createPinnedFhirClient(options: PinnedClientOptions): Promise<Client> {
  const { Client: FhirKitClient } = await fhirKit();
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  const client = new FhirKitClient({ baseUrl });
  const http = client.httpClient;
  const send = async (url: string, fresh: boolean): Promise<{ status: number; text: string }> => {
    const token = await options.accessToken(fresh);
    return fetchOutbound(url, {
      headers: { accept: 'application/fhir+json', authorization: `Bearer ${token}` },
      timeoutMs: options.timeoutMs ?? 15_000,
      maxBytes: options.maxBytes ?? 5 * 1024 * 1024,
      purpose: 'the documentation-gap report\'s chart reads',
    });
  };
  const request: RequestFn = async (method, requestUrl) => {
    const url = http.expandUrl(requestUrl);
    if (method !== 'GET') {
      throw new AppError('internal', 'The gap report only reads from the EHR.');
    }
    if (!isUnderBase(url, baseUrl)) {
      throw badGateway('The EHR pointed the gap report at an address outside its FHIR server; it was not followed.', { details: { reason: 'ehr_off_base' } });
    }
    let response = await send(url, false);
    if (response.status === 401) {
      response = await send(url, true);
    }
    if (response.status < 200 || response.status >= 300) {
      throw badGateway(`The EHR answered ${response.status} to a gap-report read.`, { details: { status: response.status } });
    }
    try {
      return JSON.parse(response.text) as Awaited<ReturnType<RequestFn>>;
    } catch {
      throw badGateway('The EHR\'s answer to a gap-report read was not JSON.');
    }
  };
  // The one transport every fhir-kit-client call goes through (see the top of this file).
  Object.defineProperty(http, 'request', { value: request, writable: false });
  return client;
}
