import type {
  AllergyIntolerance,
  Bundle,
  Condition,
  Device,
  Encounter,
  Medication,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Practitioner,
  PractitionerRole,
  Procedure,
} from 'fhir/r4';
import { badGateway } from '../errors';
import { observationCodeSearchValue } from './chart-codes';
import type { FhirHttp, FhirOutcome } from './fhir-http';
import { isAbsoluteUrl, isLogicalId, isUnderBase, parseRelativeReference, referenceOfUrl } from './fhir-url';

/**
 * The chart read after a SMART launch: every read the handout needs, in one parallel wave (ARCHITECTURE §2).
 * Each read's outcome is kept as it came, so the mapping can tell "none recorded" from "not authorized" from
 * "could not read" (security research §6 C4, F2).
 */
export interface LaunchContextForReads {
  patientId: string;
  encounterId?: string;
  /** The `fhirUser` claim: relative (`Practitioner/1`) or absolute. */
  fhirUser?: string;
  /** The launch's FHIR base: an absolute reference names the launch patient only under it (none: relative only). */
  fhirBase?: string;
}

export type ChartReadName =
  | 'patient'
  | 'encounter'
  | 'practitioner'
  | 'conditions'
  | 'medicationRequests'
  | 'medicationStatements'
  | 'allergies'
  | 'observations'
  | 'procedures'
  | 'devices';

/** The launch did not name this resource (no encounter, no `fhirUser`), so nothing was read. */
export interface NotInContext {
  kind: 'not-in-context';
}

export interface ChartReadOutcomes {
  patient: FhirOutcome<Patient>;
  encounter: FhirOutcome<Encounter> | NotInContext;
  practitioner: FhirOutcome<Practitioner | PractitionerRole> | NotInContext;
  conditions: FhirOutcome<Bundle<Condition>>;
  /** Includes the `_include`d Medication resources. */
  medicationRequests: FhirOutcome<Bundle<MedicationRequest | Medication>>;
  medicationStatements: FhirOutcome<Bundle<MedicationStatement | Medication>>;
  allergies: FhirOutcome<Bundle<AllergyIntolerance>>;
  observations: FhirOutcome<Bundle<Observation>>;
  procedures: FhirOutcome<Bundle<Procedure>>;
  devices: FhirOutcome<Bundle<Device>>;
}

/** The outcomes plus the launch context they were read for: the mapping needs the launch patient id (F11). */
export interface ChartReads extends ChartReadOutcomes {
  launch: LaunchContextForReads;
}

const NOT_IN_CONTEXT: NotInContext = { kind: 'not-in-context' };

/**
 * Reads the chart in one `Promise.all`. Individual reads never throw (their failures are values); an invalid
 * launch patient id does, because then no read can be trusted to be about the right person.
 */
export async function readChart(http: FhirHttp, ctx: LaunchContextForReads): Promise<ChartReads> {
  if (!isLogicalId(ctx.patientId)) {
    throw badGateway('The EHR launch did not name a valid patient.', { hint: 'Launch the app again from the chart.' });
  }
  const patient = { patient: ctx.patientId };
  const [patientRead, encounter, practitioner, conditions, medicationRequests, medicationStatements, allergies, observations, procedures, devices] =
    await Promise.all([
      http.read<Patient>(`Patient/${ctx.patientId}`),
      readEncounter(http, ctx.encounterId),
      readUser(http, ctx.fhirUser),
      http.search<Condition>('Condition', patient),
      http.search<MedicationRequest | Medication>('MedicationRequest', { ...patient, _include: 'MedicationRequest:medication' }),
      http.search<MedicationStatement | Medication>('MedicationStatement', { ...patient, _include: 'MedicationStatement:medication' }),
      http.search<AllergyIntolerance>('AllergyIntolerance', patient),
      http.search<Observation>('Observation', { ...patient, code: observationCodeSearchValue() }),
      http.search<Procedure>('Procedure', patient),
      http.search<Device>('Device', patient),
    ]);
  return {
    launch: ctx,
    patient: patientRead,
    encounter,
    practitioner,
    conditions,
    medicationRequests,
    medicationStatements,
    allergies,
    observations,
    procedures,
    devices,
  };
}

async function readEncounter(http: FhirHttp, encounterId: string | undefined): Promise<FhirOutcome<Encounter> | NotInContext> {
  if (encounterId === undefined || encounterId === '') {
    return NOT_IN_CONTEXT;
  }
  if (!isLogicalId(encounterId)) {
    return { kind: 'failed', reason: 'the launch named an invalid encounter' };
  }
  return http.read<Encounter>(`Encounter/${encounterId}`);
}

const USER_TYPES = new Set(['Practitioner', 'PractitionerRole']);

/**
 * The signed-in user from `fhirUser`. An absolute URL on another server is never fetched: the token belongs to
 * this FHIR base only (security research §6 D4).
 */
async function readUser(
  http: FhirHttp,
  fhirUser: string | undefined,
): Promise<FhirOutcome<Practitioner | PractitionerRole> | NotInContext> {
  if (fhirUser === undefined || fhirUser === '') {
    return NOT_IN_CONTEXT;
  }
  const absolute = isAbsoluteUrl(fhirUser);
  if (absolute && !isUnderBase(fhirUser, http.baseUrl)) {
    return { kind: 'failed', reason: 'user is on another server' };
  }
  const type = absolute ? referenceOfUrl(fhirUser, http.baseUrl)?.type : parseRelativeReference(fhirUser)?.type;
  if (type === undefined) {
    return { kind: 'failed', reason: 'the launch named the user in a form the app does not understand' };
  }
  if (!USER_TYPES.has(type)) {
    return { kind: 'failed', reason: 'the signed-in user is not a practitioner' };
  }
  return http.read<Practitioner | PractitionerRole>(fhirUser);
}
