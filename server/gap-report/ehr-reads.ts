/**
 * The gap report's chart reads, made with fhir-kit-client (`fhir-kit.ts` keeps them on the outbound rules):
 * Procedures and ServiceRequests by verified pump code and date, every page, and the DocumentReferences of the
 * patients found. A report that silently missed page 12 would call documented patients gaps (or the reverse), so a
 * search that would need more pages than the limit fails the whole report with a message to narrow the range.
 */
import type { Client } from 'fhir-kit-client';
import type { Bundle, DocumentReference, Resource } from 'fhir/r4';
import { badGateway, badRequest } from '../errors';
import type { PumpCodeSet } from './pump-codes';

export const PAGE_SIZE = 100;
export const MAX_PAGES = 50;
/** Patients per DocumentReference search (`patient=a,b,…`), so a URL stays short. */
const PATIENTS_PER_SEARCH = 20;

const day = (at: number): string => new Date(at).toISOString().slice(0, 10);

function asBundle(value: unknown): Bundle {
  if (typeof value !== 'object' || value === null || (value as Resource).resourceType !== 'Bundle') {
    throw badGateway('The EHR answered a search with something other than a Bundle.');
  }
  return value as Bundle;
}

/** Every `match` entry of a search, following `next` links with fhir-kit-client's paging. */
export async function searchAll(client: Client, resourceType: string, searchParams: Record<string, string | string[]>): Promise<Resource[]> {
  const found: Resource[] = [];
  let bundle = asBundle(await client.search({ resourceType, searchParams: { ...searchParams, _count: String(PAGE_SIZE) } }));
  for (let page = 1; ; page += 1) {
    for (const entry of bundle.entry ?? []) {
      if (entry.resource !== undefined && entry.search?.mode !== 'include' && entry.search?.mode !== 'outcome') {
        found.push(entry.resource);
      }
    }
    if (!(bundle.link ?? []).some((l) => l.relation === 'next')) {
      return found;
    }
    if (page >= MAX_PAGES) {
      throw badRequest(`More than ${MAX_PAGES * PAGE_SIZE} ${resourceType} records match; report on a shorter date range.`);
    }
    bundle = asBundle(await client.nextPage({ bundle: bundle as unknown as Parameters<Client['nextPage']>[0]['bundle'] }));
  }
}

/** Procedures (`date`) and orders (`occurrence`) with a verified pump code, dated in [from, to). */
export async function readPumpProcedures(client: Client, codes: PumpCodeSet, range: { from: number; to: number }): Promise<Resource[]> {
  const code = codes.codes.map((c) => `${c.system}|${c.code}`).join(',');
  // Day precision on the wire (every server takes it); the exact instants are checked again in gap-rules.ts.
  const lower = `ge${day(range.from)}`;
  const upper = `le${day(range.to)}`;
  const [procedures, orders] = await Promise.all([
    searchAll(client, 'Procedure', { code, date: [lower, upper] }),
    searchAll(client, 'ServiceRequest', { code, occurrence: [lower, upper] }),
  ]);
  return [...procedures, ...orders];
}

/** Every DocumentReference of these patients (all statuses: an entered-in-error note is a reason worth naming). */
export async function readPatientNotes(client: Client, patientIds: readonly string[]): Promise<DocumentReference[]> {
  const notes: DocumentReference[] = [];
  for (let i = 0; i < patientIds.length; i += PATIENTS_PER_SEARCH) {
    const chunk = patientIds.slice(i, i + PATIENTS_PER_SEARCH).map((id) => `Patient/${id}`);
    const found = await searchAll(client, 'DocumentReference', { patient: chunk.join(',') });
    notes.push(...found.filter((r): r is DocumentReference => r.resourceType === 'DocumentReference'));
  }
  return notes;
}
