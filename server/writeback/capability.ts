/**
 * Which resource types a FHIR server says it can create conditionally (`If-None-Exist`), read from its
 * CapabilityStatement (`GET [base]/metadata`) once per base and cached. Conditional create is trial use in R4 and
 * "it is not expected that every server will implement" it (https://hl7.org/fhir/R4/http.html#ccreate); Epic's
 * sandbox says `conditionalCreate: false` and Oracle ignores `identifier` (research ehr-writeback.md §0). So the
 * header is only defence in depth where it is advertised (security-reliability.md §6 H7), never what idempotency
 * rests on: that is the ledger's job.
 */
import type { CapabilityStatement } from 'fhir/r4';
import type { WriteProfile } from '../../fhir-resources/document-reference';
import { getFhirJson } from '../chart/fhir-request';
import type { RequestSettings } from '../chart/fhir-request';

const HIT_TTL_MS = 3_600_000;
/** A failed read is retried after a minute rather than at every write. */
const MISS_TTL_MS = 60_000;

interface Entry {
  until: number;
  types: Promise<ReadonlySet<string>>;
}

const cache = new Map<string, Entry>();

/** The types whose `conditionalCreate` is true (pure). */
export function conditionalCreateTypes(statement: unknown): ReadonlySet<string> {
  const types = new Set<string>();
  const rest = (statement as CapabilityStatement | undefined)?.rest;
  if ((statement as CapabilityStatement | undefined)?.resourceType !== 'CapabilityStatement' || !Array.isArray(rest)) {
    return types;
  }
  for (const mode of rest) {
    for (const resource of Array.isArray(mode.resource) ? mode.resource : []) {
      if (resource.conditionalCreate === true && typeof resource.type === 'string') {
        types.add(resource.type);
      }
    }
  }
  return types;
}

async function readTypes(settings: RequestSettings): Promise<ReadonlySet<string>> {
  const outcome = await getFhirJson(`${settings.baseUrl}/metadata`, settings);
  if (outcome.kind !== 'ok') {
    throw new Error('metadata unavailable');
  }
  return conditionalCreateTypes(outcome.value);
}

/**
 * True when the tenant's server advertises conditional create for `type`. A server whose statement cannot be read
 * is taken not to support it.
 */
export async function supportsConditionalCreate(settings: RequestSettings, type: string, now: number = Date.now()): Promise<boolean> {
  const cached = cache.get(settings.baseUrl);
  let entry = cached !== undefined && cached.until > now ? cached : undefined;
  if (entry === undefined) {
    const fresh: Entry = { until: now + HIT_TTL_MS, types: readTypes(settings) };
    fresh.types.catch(() => {
      fresh.until = now + MISS_TTL_MS;
    });
    cache.set(settings.baseUrl, fresh);
    entry = fresh;
  }
  try {
    return (await entry.types).has(type);
  } catch {
    return false;
  }
}

/**
 * The `If-None-Exist` condition for a note (`identifier=urn:ietf:rfc:3986|urn:uuid:…`, percent-encoded), or
 * undefined: only the generic US Core profile sends one (Epic and Oracle do not support it: research §0), and only
 * when the server's CapabilityStatement advertises conditional create for DocumentReference.
 */
export async function conditionalCreateFor(settings: RequestSettings, profile: WriteProfile, identifier: string): Promise<string | undefined> {
  if (profile !== 'us-core' || !(await supportsConditionalCreate(settings, 'DocumentReference'))) {
    return undefined;
  }
  return new URLSearchParams({ identifier: `urn:ietf:rfc:3986|${identifier}` }).toString();
}

/** Tests: forget what was read. */
export function clearCapabilityCache(): void {
  cache.clear();
}
