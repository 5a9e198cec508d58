import type { Bundle, FhirResource } from 'fhir/r4';
import { isRecord, recordOf } from '../clean-text';
import type { FhirOutcome } from './fhir-http';
import { isLogicalId } from './fhir-url';

/**
 * Pulls resources of one type out of a search result and keeps only those that belong to the launch patient.
 * A server bug, a mis-merged record or a hostile proxy can put another person's data in the answer; showing it
 * in this patient's handout would be a privacy breach and a clinical error, so it is dropped and counted (F11).
 */
export interface EntryFilter {
  patientId: string;
  /** The launch's FHIR base; absolute references count as the launch patient only under it. */
  fhirBase?: string;
  /** Resources dropped because they name another patient or none. */
  foreign: number;
  /** Resources dropped because they have no valid FHIR id, so nothing could cite them as evidence. */
  malformed: number;
}

/** The element that names the patient, per resource type (R4: Device and AllergyIntolerance use `patient`). */
const PATIENT_ELEMENT: Readonly<Record<string, 'subject' | 'patient'>> = {
  AllergyIntolerance: 'patient',
  Device: 'patient',
};

type ResourceOfType<K extends FhirResource['resourceType']> = Extract<FhirResource, { resourceType: K }>;

/** Every resource of `type` in a successful read (none for a refused or failed one), filtered to the patient. */
export function chartEntries<K extends FhirResource['resourceType']>(
  outcome: FhirOutcome<Bundle<FhirResource>>,
  type: K,
  filter: EntryFilter,
): ResourceOfType<K>[] {
  return resourcesOfType(outcome, type).filter((resource) => keepForPatient(resource, filter));
}

/** Every resource of `type` in a successful read, without a patient check (for `_include`d Medications). */
export function resourcesOfType<K extends FhirResource['resourceType']>(
  outcome: FhirOutcome<Bundle<FhirResource>>,
  type: K,
): ResourceOfType<K>[] {
  if (outcome.kind !== 'ok' || !Array.isArray(outcome.value.entry)) {
    return [];
  }
  return outcome.value.entry
    .map((entry) => (isRecord(entry) ? entry.resource : undefined))
    .filter((resource): resource is ResourceOfType<K> => isRecord(resource) && resource.resourceType === type);
}

/** Counts and drops resources that do not belong to the launch patient or have no usable id. */
export function keepForPatient(resource: FhirResource, filter: EntryFilter): boolean {
  if (typeof resource.id !== 'string' || !isLogicalId(resource.id)) {
    filter.malformed += 1;
    return false;
  }
  const element = PATIENT_ELEMENT[resource.resourceType] ?? 'subject';
  const reference = recordOf((resource as unknown as Record<string, unknown>)[element]).reference;
  if (patientIdOf(reference, filter.fhirBase) !== filter.patientId) {
    filter.foreign += 1;
    return false;
  }
  return true;
}

/**
 * The patient id of a Patient reference: `Patient/123`, `Patient/123/_history/2`, or an absolute URL to the launch's
 * own FHIR base (`<fhirBase>/Patient/123`: some EHRs send absolute references to their own base). The same id on
 * another server is another person, so an absolute reference elsewhere (or with no base known) names nobody here.
 */
export function patientIdOf(reference: unknown, fhirBase?: string): string | undefined {
  if (typeof reference !== 'string') {
    return undefined;
  }
  const base = fhirBase === undefined ? undefined : `${fhirBase.replace(/\/+$/, '')}/`;
  const relative = base !== undefined && reference.startsWith(base) ? reference.slice(base.length) : reference;
  const match = /^Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(relative);
  return match?.[1];
}

/** `Type/id` of a resource that passed `keepForPatient` (so its id is a valid FHIR id). */
export function referenceTo(resource: FhirResource): string {
  return `${resource.resourceType}/${resource.id ?? ''}`;
}
