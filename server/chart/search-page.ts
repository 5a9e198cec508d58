import type { BundleEntry, OperationOutcome, Resource } from 'fhir/r4';
import { failed, type FhirOutcome } from './fhir-request';
import { isRecord } from '../clean-text';
import { isUnderBase } from './fhir-url';

/**
 * Merging one searchset page into the running result. Kept apart from the HTTP code so the rules for what a page
 * may contain are in one place: only resources are kept, `search.mode = outcome` entries are read for errors and
 * then dropped (F9), and the `next` link is only returned when it stays under the FHIR base (F8).
 */
export interface PageCollector {
  entries: BundleEntry<Resource>[];
  /** PHI-free notes for the clinician ("only the first 10 pages were read"). */
  notes: Set<string>;
  /** An OperationOutcome with severity error/fatal arrived inside the bundle. */
  errorReported: boolean;
  /** Page URLs already fetched, so a server that links a page to itself cannot loop us. */
  seen: Set<string>;
}

/** Adds the page's entries; answers the next page URL to fetch, undefined when done, or failed for a non-searchset. */
export function collectPage(
  value: unknown,
  collector: PageCollector,
  maxEntries: number,
  baseUrl: string,
): FhirOutcome<string | undefined> {
  if (!isRecord(value) || value.resourceType !== 'Bundle') {
    return failed(isRecord(value) && value.resourceType === 'OperationOutcome'
      ? 'the EHR answered with an error'
      : 'the EHR answered with an unexpected resource type');
  }
  if (value.type !== 'searchset') {
    return failed('the EHR did not answer with search results');
  }
  const entries = Array.isArray(value.entry) ? (value.entry as unknown[]) : [];
  for (const entry of entries) {
    if (!addEntry(entry, collector, maxEntries)) {
      collector.notes.add(`only the first ${maxEntries} results were read`);
      return { kind: 'ok', value: undefined };
    }
  }
  return { kind: 'ok', value: nextLink(value.link, collector, baseUrl) };
}

/** False when the entry cap is reached; malformed entries are skipped with a note. */
function addEntry(entry: unknown, collector: PageCollector, maxEntries: number): boolean {
  const resource = isRecord(entry) ? entry.resource : undefined;
  if (!isRecord(resource) || typeof resource.resourceType !== 'string') {
    collector.notes.add('some malformed search results were ignored');
    return true;
  }
  const mode = isRecord(entry) && isRecord(entry.search) ? entry.search.mode : undefined;
  if (mode === 'outcome' || resource.resourceType === 'OperationOutcome') {
    collector.errorReported ||= reportsError(resource as unknown as OperationOutcome);
    return true;
  }
  if (collector.entries.length >= maxEntries) {
    return false;
  }
  collector.entries.push(entry as BundleEntry<Resource>);
  return true;
}

/** Warnings and information (Epic sends these routinely) are not errors; error and fatal are. */
function reportsError(outcome: OperationOutcome): boolean {
  const issues = Array.isArray(outcome.issue) ? outcome.issue : [];
  return issues.some((issue) => isRecord(issue) && (issue.severity === 'error' || issue.severity === 'fatal'));
}

function nextLink(links: unknown, collector: PageCollector, baseUrl: string): string | undefined {
  const next = Array.isArray(links)
    ? (links as unknown[]).find((link) => isRecord(link) && link.relation === 'next' && typeof link.url === 'string')
    : undefined;
  if (!isRecord(next) || typeof next.url !== 'string' || !URL.canParse(next.url, `${baseUrl}/`)) {
    return undefined;
  }
  const url = new URL(next.url, `${baseUrl}/`).href;
  if (!isUnderBase(url, baseUrl)) {
    collector.notes.add('a link to more results pointed outside the EHR and was not followed');
    return undefined;
  }
  return collector.seen.has(url) ? undefined : url;
}
