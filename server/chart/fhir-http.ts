import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { failed, getFhirJson, type FhirOutcome, type RequestSettings } from './fhir-request';
import {
  buildSearchUrl,
  isAbsoluteUrl,
  isResourceType,
  isUnderBase,
  normaliseBaseUrl,
  parseRelativeReference,
  referenceOfUrl,
} from './fhir-url';
import { collectPage, type PageCollector } from './search-page';

export type { FhirOutcome } from './fhir-request';

/**
 * The only way the app talks FHIR to an EHR. Reads and searches are GETs against one tenant's FHIR base with the
 * launch's access token; the token never leaves that base (see `fhir-url.ts`). Failures come back as values, not
 * exceptions, so one refused or broken read cannot sink the whole chart (security research §6 F2).
 */
export interface FhirHttpOptions {
  /** Tenant FHIR base (a trailing slash is tolerated and removed). */
  baseUrl: string;
  /** Supplied by the launch session (may refresh). Its errors propagate: no token means no chart. */
  getAccessToken(): Promise<string>;
  /** On 401: called once (shared by concurrent requests); true = token refreshed, retry once. */
  onUnauthorized?(): Promise<boolean>;
  /** A 401 again with the token the refresh just brought: the EHR no longer accepts this launch's tokens. */
  onRefusedAfterRefresh?(): void;
  /** Per-request deadline covering headers and body. Default 10 000 ms. */
  timeoutMs?: number;
  /** Overall deadline for one search including all its pages. Default 30 000 ms. */
  searchDeadlineMs?: number;
  /** Response size cap, enforced while streaming. Default 5 MB. */
  maxBytes?: number;
  fetchImpl?: typeof fetch;
}

export interface SearchLimits {
  /** Pages followed per search (default 10). */
  maxPages?: number;
  /** Entries kept per search (default 2000). */
  maxEntries?: number;
}

export interface FhirHttp {
  /** `Type/id` or an absolute URL under `baseUrl`; anything else is refused without a request. */
  read<T extends Resource>(reference: string): Promise<FhirOutcome<T>>;
  /** Follows `next` links under `baseUrl` only, merges the pages into one searchset. */
  search<T extends Resource>(type: string, params: Record<string, string>, limits?: SearchLimits): Promise<FhirOutcome<Bundle<T>>>;
  baseUrl: string;
}

const DEFAULTS = { timeoutMs: 10_000, searchDeadlineMs: 30_000, maxBytes: 5 * 1024 * 1024, maxPages: 10, maxEntries: 2000 };

export function createFhirHttp(options: FhirHttpOptions): FhirHttp {
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  const settings: RequestSettings = {
    baseUrl,
    getAccessToken: () => options.getAccessToken(),
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    maxBytes: options.maxBytes ?? DEFAULTS.maxBytes,
    fetchImpl: options.fetchImpl ?? fetch,
  };
  if (options.onUnauthorized) {
    settings.refreshAfterUnauthorized = singleFlight(() => options.onUnauthorized!());
  }
  if (options.onRefusedAfterRefresh) {
    settings.refusedAfterRefresh = () => options.onRefusedAfterRefresh!();
  }
  const searchDeadlineMs = options.searchDeadlineMs ?? DEFAULTS.searchDeadlineMs;
  return {
    baseUrl,
    read: <T extends Resource>(reference: string) => readResource<T>(reference, settings),
    search: <T extends Resource>(type: string, params: Record<string, string>, limits?: SearchLimits) =>
      searchAll<T>(buildSearchUrl(baseUrl, type, params), type, settings, { ...limitsOrDefault(limits), searchDeadlineMs }),
  };
}

/** Concurrent 401s from one parallel wave share one refresh instead of racing the token endpoint (§6 C8). */
function singleFlight(task: () => Promise<boolean>): () => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  return () => {
    running ??= task().finally(() => {
      running = undefined;
    });
    return running;
  };
}

function limitsOrDefault(limits: SearchLimits | undefined): Required<SearchLimits> {
  return { maxPages: limits?.maxPages ?? DEFAULTS.maxPages, maxEntries: limits?.maxEntries ?? DEFAULTS.maxEntries };
}

async function readResource<T extends Resource>(reference: string, settings: RequestSettings): Promise<FhirOutcome<T>> {
  const target = readTarget(reference, settings.baseUrl);
  if (!target) {
    return failed(isAbsoluteUrl(reference) ? 'the record is on another server' : 'the reference is not valid');
  }
  const outcome = await getFhirJson(target.url, settings);
  if (outcome.kind !== 'ok') {
    return outcome;
  }
  const checked = expectResource(outcome.value, target.type);
  if (checked.kind === 'ok' && checked.value.id !== target.id) {
    return failed('the EHR answered with a different record');
  }
  return checked as FhirOutcome<T>;
}

function readTarget(reference: string, baseUrl: string): { url: string; type: string; id: string } | undefined {
  const relative = parseRelativeReference(reference);
  if (relative) {
    return { url: `${baseUrl}/${reference}`, type: relative.type, id: relative.id };
  }
  if (!isUnderBase(reference, baseUrl)) {
    return undefined;
  }
  const named = referenceOfUrl(reference, baseUrl);
  return named ? { url: reference, ...named } : undefined;
}

/** A 200 is only a success when it carries the resource type asked for; an OperationOutcome is an error (F9). */
export function expectResource(value: unknown, type: string): FhirOutcome<Resource> {
  if (typeof value !== 'object' || value === null || typeof (value as Resource).resourceType !== 'string') {
    return failed('the EHR did not answer with a FHIR resource');
  }
  const resource = value as Resource;
  if (resource.resourceType === 'OperationOutcome' && type !== 'OperationOutcome') {
    return failed('the EHR answered with an error');
  }
  return resource.resourceType === type ? { kind: 'ok', value: resource } : failed('the EHR answered with an unexpected resource type');
}

interface SearchRun extends Required<SearchLimits> {
  searchDeadlineMs: number;
}

/**
 * Fetches the first page and follows `next` links, within page, entry and time limits (F8). A failure on any
 * page fails the whole search: a medication list silently missing page 2 is worse than "could not read".
 */
async function searchAll<T extends Resource>(
  firstUrl: string,
  type: string,
  settings: RequestSettings,
  run: SearchRun,
): Promise<FhirOutcome<Bundle<T>>> {
  if (!isResourceType(type)) {
    return failed('the search is not valid');
  }
  const deadline = Date.now() + run.searchDeadlineMs;
  const collector: PageCollector = { entries: [], notes: new Set(), errorReported: false, seen: new Set() };
  let url: string | undefined = firstUrl;
  for (let page = 0; url !== undefined; page += 1) {
    if (page >= run.maxPages) {
      collector.notes.add(`only the first ${run.maxPages} pages of results were read`);
      break;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      return failed('the EHR did not answer in time');
    }
    const outcome = await getFhirJson(url, { ...settings, timeoutMs: Math.min(settings.timeoutMs, remaining) });
    if (outcome.kind !== 'ok') {
      return outcome;
    }
    collector.seen.add(url);
    const next = collectPage(outcome.value, collector, run.maxEntries, settings.baseUrl);
    if (next.kind !== 'ok') {
      return next;
    }
    url = next.value;
  }
  return finishSearch<T>(collector);
}

function finishSearch<T extends Resource>(collector: PageCollector): FhirOutcome<Bundle<T>> {
  if (collector.errorReported && collector.entries.length === 0) {
    return failed('the EHR reported an error for this search');
  }
  if (collector.errorReported) {
    collector.notes.add('the EHR reported a problem, so the list may be incomplete');
  }
  const bundle: Bundle<T> = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: collector.entries.length,
    entry: collector.entries as BundleEntry<T>[],
  };
  return collector.notes.size > 0 ? { kind: 'ok', value: bundle, notes: [...collector.notes] } : { kind: 'ok', value: bundle };
}
