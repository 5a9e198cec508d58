import { getSearchParameters } from '@medplum/core';
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';

/** Only the FHIR base search parameters are advertised (Medplum also indexes its own, e.g. `_project`). */
const BASE_DEFINITION = 'http://hl7.org/fhir/SearchParameter/';

export interface CapabilityInput {
  fhirBaseUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
  resourceTypes: Iterable<string>;
  /** The imitated EHR's name, shown in `implementation.description`. */
  name: string;
  /** Whether this base honours `If-None-Exist` on a type (Epic and Oracle do not on DocumentReference). */
  conditionalCreate(type: string): boolean;
}

function searchParams(resourceType: string): CapabilityStatementRestResource['searchParam'] {
  const params = Object.values(getSearchParameters(resourceType) ?? {});
  return params
    .filter((p) => p.url?.startsWith(BASE_DEFINITION) === true)
    .map((p) => ({ name: p.code, type: p.type, definition: p.url }));
}

/** Every served type is readable, searchable and creatable; DocumentReference can also be updated (corrections only). */
function interactions(type: string): CapabilityStatementRestResource['interaction'] {
  const codes = ['read', 'vread', 'search-type', 'create', ...(type === 'DocumentReference' ? ['update'] : [])];
  return codes.map((code) => ({ code: code as 'read' }));
}

/** Each base advertises its own vendor's `conditionalCreate` (see `vendor-write.ts`), as that EHR's statement would. */
function resourceEntry(input: CapabilityInput, type: string): CapabilityStatementRestResource {
  return {
    type: type as CapabilityStatementRestResource['type'],
    interaction: interactions(type),
    versioning: 'versioned',
    conditionalCreate: input.conditionalCreate(type),
    searchParam: searchParams(type),
  };
}

/**
 * The server's CapabilityStatement. Besides describing the server, two parts are load-bearing: the `searchParam`
 * lists (fhirclient's `client.patient.request()` picks the patient parameter from them) and `rest.security` with
 * the SMART `oauth-uris` extension (the discovery fallback). See https://hl7.org/fhir/R4/capabilitystatement.html.
 */
export function buildCapabilityStatement(input: CapabilityInput): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'ITDD Consent sandbox EHR' },
    implementation: { description: `${input.name} (synthetic patients)`, url: input.fhirBaseUrl },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
            },
          ],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: input.authorizeUrl },
                { url: 'token', valueUri: input.tokenUrl },
              ],
            },
          ],
        },
        resource: [...input.resourceTypes].sort().map((type) => resourceEntry(input, type)),
      },
    ],
  };
}
