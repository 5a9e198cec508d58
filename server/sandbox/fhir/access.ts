import { getSearchParameter, matchesSearchRequest, parseSearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Permission } from '../auth/scopes';
import { scopesPermitting } from '../auth/scopes';
import { fhirError } from '../errors';
import type { Grant } from '../types';

/**
 * Scope enforcement for the FHIR server, the way SMART defines it
 * (https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html): `user/` scopes reach every record
 * the user may see; `patient/` scopes reach only the launch patient's compartment.
 */

export type Interaction = 'read' | 'search' | 'create' | 'update';

const PERMISSION: Record<Interaction, Permission> = { read: 'r', search: 's', create: 'c', update: 'u' };
/** The search parameters that tie a resource to its patient. */
const PATIENT_PARAMS = ['patient', 'subject'] as const;

/** What a request may reach. `patient` set means: confined to that patient's compartment. */
export interface Access {
  patient?: string;
}

function refuse(message: string): never {
  throw fhirError('forbidden', message, 'forbidden');
}

/** Finds the scope that allows this interaction, or refuses with 403. */
export function decideAccess(grant: Grant, resourceType: string, interaction: Interaction): Access {
  if (grant.context.simulation.deniedTypes.includes(resourceType)) {
    refuse(`Access to ${resourceType} is not granted.`);
  }
  const scopes = scopesPermitting(grant.scopes, resourceType, PERMISSION[interaction]);
  if (scopes.length === 0) {
    refuse(`The granted scopes do not allow ${interaction} of ${resourceType}.`);
  }
  if (scopes.some((s) => s.context !== 'patient')) {
    return {};
  }
  // Patient scopes reach one patient's compartment: with no patient in context they reach nothing.
  const patient = grant.context.patient;
  if (patient === undefined) {
    refuse('Patient scopes were granted without a patient in context.');
  }
  return { patient };
}

/** Patient, and every type with a `patient` or `subject` search parameter that can point at a Patient. */
export function isPatientCompartmentType(resourceType: string): boolean {
  return (
    resourceType === 'Patient' ||
    PATIENT_PARAMS.some((code) => getSearchParameter(resourceType, code)?.target?.includes('Patient') === true)
  );
}

/** Whether the resource is the patient, or names the patient in `subject`/`patient` (same rules as search). */
export function belongsToPatient(resource: Resource, patientId: string): boolean {
  const type = resource.resourceType;
  if (type === 'Patient') {
    return resource.id === patientId;
  }
  return PATIENT_PARAMS.some(
    (code) =>
      getSearchParameter(type, code) !== undefined &&
      matchesSearchRequest(resource, parseSearchRequest(`${type}?${code}=Patient/${encodeURIComponent(patientId)}`)),
  );
}

/** Whether a request with this access may see the resource. Types outside the compartment are visible to any matching scope. */
export function canSee(resource: Resource, access: Access): boolean {
  return (
    access.patient === undefined ||
    !isPatientCompartmentType(resource.resourceType) ||
    belongsToPatient(resource, access.patient)
  );
}

function isPatientValue(value: string, patientId: string, idOnly: boolean): boolean {
  return value === patientId || (!idOnly && value === `Patient/${patientId}`);
}

/**
 * A patient-confined search must say whose data it wants: `patient` or `subject` (or `_id` for Patient) equal to
 * the launch patient, every value of it. Anything else could reach another patient's records, so it is refused.
 */
export function assertPatientSearch(resourceType: string, params: URLSearchParams, patientId: string): void {
  if (!isPatientCompartmentType(resourceType)) {
    return;
  }
  const keys = resourceType === 'Patient' ? ['_id'] : PATIENT_PARAMS;
  const values = keys.flatMap((k) => params.getAll(k)).flatMap((v) => v.split(','));
  const idOnly = resourceType === 'Patient';
  if (values.length === 0 || !values.every((v) => isPatientValue(v, patientId, idOnly))) {
    refuse(`With patient scopes, a ${resourceType} search must be limited to the patient in context.`);
  }
}

/** The search parameter that confines a type's search to one patient (`patient`, else `subject`). */
export function patientParamOf(resourceType: string): string | undefined {
  return PATIENT_PARAMS.find((code) => getSearchParameter(resourceType, code)?.target?.includes('Patient') === true);
}

/** Whether the grant could read this resource directly: a read scope for its type, and its patient if confined. */
export function grantCanRead(grant: Grant, resource: Resource): boolean {
  let access: Access;
  try {
    access = decideAccess(grant, resource.resourceType, 'read');
  } catch {
    return false;
  }
  return canSee(resource, access);
}
