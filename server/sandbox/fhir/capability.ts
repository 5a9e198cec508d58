import { getSearchParameters } from '@medplum/core';
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';

/** Only the FHIR base search parameters are advertised (Medplum also indexes its own, e.g. `_project`). */
const BASE_DEFINITION = 'http://hl7.org/fhir/SearchParameter/';

export interface CapabilityInput {
  fhirBaseUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
  resourceTypes: Iterable<string>;
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

/**
 * `conditionalCreate: true` is the generic server's: the statement is public and the same for every launch, while
 * Epic and Oracle launches ignore `If-None-Exist` on DocumentReference as those EHRs do (see `vendor-write.ts`).
 */
function resourceEntry(type: string): CapabilityStatementRestResource {
  return {
    type: type as CapabilityStatementRestResource['type'],
    interaction: interactions(type),
    versioning: 'versioned',
    conditionalCreate: true,
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
    implementation: { description: 'Sandbox EHR (synthetic patients)', url: input.fhirBaseUrl },
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
        resource: [...input.resourceTypes].sort().map(resourceEntry),
      },
    ],
  };
}
