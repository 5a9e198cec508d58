import type { Bundle, BundleEntry, FhirResource, Medication, Resource } from 'fhir/r4';
import { observationCodeSearchValue } from './chart-codes';
import type { FhirOutcome } from './fhir-http';
import type { ChartReadOutcomes, ChartReads, LaunchContextForReads } from './read-chart';

/**
 * Turns a synthetic patient's collection bundle into the `ChartReads` a FHIR server would have answered for a
 * launch: reads by id, `?patient=` searches filtered by the resource's patient reference, and `_include`d
 * Medication entries (search.mode `include`) for medication searches. Lets the mapping, the tailoring and the
 * `render` CLI work on the same patients the sandbox serves, without a server.
 */

const PATIENT_ELEMENT: Readonly<Record<string, 'subject' | 'patient'>> = { AllergyIntolerance: 'patient', Device: 'patient' };

export interface BundleReadsOptions {
  /** Other resources the server holds (e.g. the sandbox practitioners), for the `fhirUser` read. */
  extraResources?: FhirResource[];
  /** Replace individual read outcomes (e.g. a 403) after simulation. */
  overrides?: Partial<ChartReadOutcomes>;
}

export function chartReadsFromBundle(bundle: Bundle, launch: LaunchContextForReads, options: BundleReadsOptions = {}): ChartReads {
  const inBundle = (bundle.entry ?? []).map((entry) => entry.resource).filter((r): r is FhirResource => r !== undefined);
  const all = [...inBundle, ...(options.extraResources ?? [])];
  const byReference = new Map(all.map((resource) => [`${resource.resourceType}/${resource.id ?? ''}`, resource]));
  const read = <T extends Resource>(reference: string | undefined, type: string): FhirOutcome<T> => {
    const resource = reference === undefined ? undefined : byReference.get(reference);
    return resource && resource.resourceType === type
      ? { kind: 'ok', value: resource as unknown as T }
      : { kind: 'failed', status: 404, reason: 'the EHR answered 404' };
  };
  const search = <T extends Resource>(type: string, includeMedications = false, codes?: Set<string>): FhirOutcome<Bundle<T>> => {
    const matches = all.filter(
      (resource) => resource.resourceType === type && patientOf(resource) === `Patient/${launch.patientId}` && (!codes || hasCode(resource, codes)),
    );
    const entries: BundleEntry[] = matches.map((resource) => ({ resource, search: { mode: 'match' } }));
    if (includeMedications) {
      entries.push(...includedMedications(matches, byReference));
    }
    return { kind: 'ok', value: { resourceType: 'Bundle', type: 'searchset', total: matches.length, entry: entries as BundleEntry<T>[] } };
  };
  const userType = launch.fhirUser?.split('/')[0] ?? '';
  return {
    launch,
    patient: read(`Patient/${launch.patientId}`, 'Patient'),
    encounter: launch.encounterId === undefined ? { kind: 'not-in-context' } : read(`Encounter/${launch.encounterId}`, 'Encounter'),
    practitioner: launch.fhirUser === undefined ? { kind: 'not-in-context' } : read(launch.fhirUser, userType),
    conditions: search('Condition'),
    medicationRequests: search('MedicationRequest', true),
    medicationStatements: search('MedicationStatement', true),
    allergies: search('AllergyIntolerance'),
    observations: search('Observation', false, new Set(observationCodeSearchValue().split(','))),
    procedures: search('Procedure'),
    devices: search('Device'),
    ...options.overrides,
  };
}

function patientOf(resource: FhirResource): string | undefined {
  const element = PATIENT_ELEMENT[resource.resourceType] ?? 'subject';
  const reference = (resource as unknown as Record<string, { reference?: string } | undefined>)[element];
  return reference?.reference;
}

/** Token search `code=system|code,…` as the server evaluates it. */
function hasCode(resource: FhirResource, codes: Set<string>): boolean {
  const coding = (resource as { code?: { coding?: { system?: string; code?: string }[] } }).code?.coding ?? [];
  return coding.some((c) => codes.has(`${c.system ?? ''}|${c.code ?? ''}`));
}

function includedMedications(matches: FhirResource[], byReference: Map<string, FhirResource>): BundleEntry[] {
  const references = new Set(
    matches
      .map((resource) => (resource as { medicationReference?: { reference?: string } }).medicationReference?.reference)
      .filter((reference): reference is string => reference !== undefined && reference.startsWith('Medication/')),
  );
  return [...references]
    .map((reference) => byReference.get(reference))
    .filter((resource): resource is Medication => resource?.resourceType === 'Medication')
    .map((resource) => ({ resource, search: { mode: 'include' } }));
}

/**
 * The launch a bundle stands for: its one Patient, that patient's first Encounter and first Practitioner (if any).
 * Undefined when the bundle holds no Patient with an id, or more than one (which patient would be meant?).
 */
export function launchContextFromBundle(bundle: Bundle): LaunchContextForReads | undefined {
  const resources = (bundle.entry ?? []).map((entry) => entry.resource).filter((r): r is FhirResource => r !== undefined);
  const patients = resources.filter((r) => r.resourceType === 'Patient' && typeof r.id === 'string' && r.id !== '');
  const patientId = patients.length === 1 ? patients[0]?.id : undefined;
  if (patientId === undefined) {
    return undefined;
  }
  const encounter = resources.find((r) => r.resourceType === 'Encounter' && patientOf(r) === `Patient/${patientId}`);
  const practitioner = resources.find((r) => r.resourceType === 'Practitioner' && typeof r.id === 'string');
  return {
    patientId,
    ...(encounter?.id === undefined ? {} : { encounterId: encounter.id }),
    ...(practitioner?.id === undefined ? {} : { fhirUser: `Practitioner/${practitioner.id}` }),
  };
}
