import type { CodingFact } from './chart-codings';
import { chartEntries, type EntryFilter } from './chart-entries';
import { mapAllergies, mapConditions, mapDevices, mapProcedures } from './map-clinical';
import { mapEncounter, mapPatient, mapPractitioner } from './map-demographics';
import { mapMedications } from './map-medications';
import { latestObservations } from './map-observations';
import type { ChartReadName, ChartReads, NotInContext } from './read-chart';
import type { FhirOutcome } from './fhir-http';
import { capitalise, READ_LABELS } from './read-labels';

export type { CodingFact, KnownSystem } from './chart-codings';

/**
 * What the app knows about the patient after the chart read: plain, cleaned, capped facts (ARCHITECTURE §4).
 * Built by a pure function so the same chart always yields the same context, and so every bad-data case in
 * security research §6 F3–F12 is a unit test, not a hope.
 */

export type ReadState = { state: 'ok' } | { state: 'not-authorized' } | { state: 'failed'; reason: string } | { state: 'not-in-context' };

export interface PatientFacts {
  id: string;
  name?: string;
  /** As recorded when it is a valid FHIR date, including partial dates ("1970", "1970-05"). */
  birthDate?: string;
  /** Only from a full YYYY-MM-DD birth date; a partial date never yields a guessed age (F5). */
  ageYears?: number;
  /** FHIR administrative gender: male | female | other | unknown. */
  sex?: string;
  /** BCP-47 code, e.g. `es` or `ar`. */
  preferredLanguage?: { code: string; display?: string };
  mrn?: string;
}

export interface EncounterFacts {
  id: string;
  status: string;
  classCode?: string;
  type?: string;
  periodStart?: string;
}

export interface PractitionerFacts {
  /** The `fhirUser` of the launch, as given. */
  reference: string;
  name?: string;
  /** Coded qualifications (Practitioner.qualification.code, PractitionerRole.code): they decide who may attest. */
  qualifications?: CodingFact[];
}

export interface ConditionFact {
  reference: string;
  display: string;
  codings: CodingFact[];
  clinicalStatus?: string;
  verificationStatus?: string;
  category?: string;
  onset?: string;
}

export interface StructuredDosage {
  text?: string;
  /** `doseAndRate[].doseQuantity`: value and unit (UCUM code when the unit text is missing). */
  dose?: { value: number; unit?: string };
  /** `timing.repeat`: `frequency` times per `period` `periodUnit` (s | min | h | d | wk | mo | a). */
  frequency?: number;
  frequencyMax?: number;
  period?: number;
  periodMax?: number;
  periodUnit?: string;
  asNeeded: boolean;
  route?: string;
  /** `doseAndRate[].rateQuantity` (continuous infusions, e.g. an intrathecal pump's mcg/day). */
  rate?: { value: number; unit?: string };
}

/** A `Medication.ingredient[]` strength (e.g. 10 mg per 1 tablet), so a dose in tablets can be turned into mg. */
export interface IngredientStrength {
  codings: CodingFact[];
  display?: string;
  numerator: { value: number; unit?: string };
  denominator?: { value: number; unit?: string };
}

/** How the medication's identity was found (F7). */
export type MedicationResolution = 'inline' | 'contained' | 'included' | 'foreign' | 'unresolved';

export interface MedicationFact {
  reference: string;
  source: 'MedicationRequest' | 'MedicationStatement';
  status: string;
  display: string;
  /** The medication's own codes (RxNorm SCD/SBD etc.). */
  codings: CodingFact[];
  /** `Medication.ingredient[].itemCodeableConcept` codes, when the medication was a resource. */
  ingredientCodings: CodingFact[];
  /** Ingredients that state a numeric strength, when the medication was a resource. */
  ingredientStrengths?: IngredientStrength[];
  resolution: MedicationResolution;
  /** Route of the first dosage (e.g. "Oral", "Intrathecal"). */
  route?: string;
  routeCodings: CodingFact[];
  dosages: StructuredDosage[];
  /** MedicationRequest.authoredOn. */
  authoredOn?: string;
  /** MedicationStatement effective date or dateAsserted. */
  effective?: string;
}

export interface AllergyFact {
  reference: string;
  display: string;
  codings: CodingFact[];
  criticality?: string;
  clinicalStatus?: string;
  verificationStatus?: string;
  reactions: string[];
}

export interface ObservationFact {
  reference: string;
  /** The LOINC code that made it count. */
  code: string;
  display: string;
  value: number;
  unit?: string;
  effective?: string;
  status: string;
}

export interface ProcedureFact {
  reference: string;
  display: string;
  codings: CodingFact[];
  status: string;
  performed?: string;
}

export interface DeviceFact {
  reference: string;
  display: string;
  codings: CodingFact[];
  manufacturer?: string;
  modelNumber?: string;
  status?: string;
}

export interface PatientContext {
  /** Undefined when the Patient read failed or answered a different patient. */
  patient: PatientFacts | undefined;
  encounter?: EncounterFacts;
  practitioner?: PractitionerFacts;
  conditions: ConditionFact[];
  medications: MedicationFact[];
  allergies: AllergyFact[];
  latestHbA1c?: ObservationFact;
  latestPainScore?: ObservationFact;
  /** The latest body mass index (LOINC 39156-5). */
  latestBmi?: ObservationFact;
  procedures: ProcedureFact[];
  devices: DeviceFact[];
  reads: Record<ChartReadName, ReadState>;
  /** PHI-free notes for the clinician, e.g. "2 resources for another patient were ignored". */
  warnings: string[];
  /**
   * How many resources the EHR returned for another patient (or none), which were dropped; absent when none. An
   * EHR that answers a patient's search with someone else's records is a security event, not just a note.
   */
  foreignResources?: number;
}

export function readStateOf(outcome: FhirOutcome<unknown> | NotInContext): ReadState {
  switch (outcome.kind) {
    case 'ok':
      return { state: 'ok' };
    case 'not-authorized':
      return { state: 'not-authorized' };
    case 'failed':
      return { state: 'failed', reason: outcome.reason };
    case 'not-in-context':
      return { state: 'not-in-context' };
  }
}

/**
 * Maps the chart reads to a PatientContext. Pure: no I/O, no clock but `now` (used for the age). A read that was
 * refused or failed yields an empty list *and* its state, so the UI says "not authorized" instead of "none".
 */
export function buildPatientContext(reads: ChartReads, now: Date): PatientContext {
  const states = readStates(reads);
  const filter: EntryFilter = {
    patientId: reads.launch.patientId,
    ...(reads.launch.fhirBase === undefined ? {} : { fhirBase: reads.launch.fhirBase }),
    foreign: 0,
    malformed: 0,
  };
  const patient = mapPatient(reads.patient, reads.launch.patientId, now);
  if (reads.patient.kind === 'ok' && patient === undefined) {
    states.patient = { state: 'failed', reason: 'the EHR answered with a different patient' };
  }
  const encounter = mapEncounter(reads.encounter, filter);
  if (reads.encounter.kind === 'ok' && encounter === undefined) {
    states.encounter = { state: 'failed', reason: 'the encounter belongs to another patient' };
  }
  const observations = latestObservations(chartEntries(reads.observations, 'Observation', filter));
  return {
    patient,
    encounter,
    practitioner: mapPractitioner(reads.practitioner, reads.launch.fhirUser),
    conditions: mapConditions(chartEntries(reads.conditions, 'Condition', filter)),
    medications: mapMedications(reads.medicationRequests, reads.medicationStatements, filter),
    allergies: mapAllergies(chartEntries(reads.allergies, 'AllergyIntolerance', filter)),
    latestHbA1c: observations.hba1c,
    latestPainScore: observations.painScore,
    latestBmi: observations.bmi,
    procedures: mapProcedures(chartEntries(reads.procedures, 'Procedure', filter)),
    devices: mapDevices(chartEntries(reads.devices, 'Device', filter)),
    reads: states,
    warnings: warningsOf(reads, filter),
    ...(filter.foreign > 0 ? { foreignResources: filter.foreign } : {}),
  };
}

const READ_NAMES: readonly ChartReadName[] = [
  'patient', 'encounter', 'practitioner', 'conditions', 'medicationRequests',
  'medicationStatements', 'allergies', 'observations', 'procedures', 'devices',
];

function readStates(reads: ChartReads): Record<ChartReadName, ReadState> {
  return Object.fromEntries(READ_NAMES.map((name) => [name, readStateOf(reads[name])])) as Record<ChartReadName, ReadState>;
}

function warningsOf(reads: ChartReads, filter: EntryFilter): string[] {
  const warnings: string[] = [];
  if (filter.foreign > 0) {
    warnings.push(`${countOf(filter.foreign, 'resource')} not linked to this patient ${filter.foreign === 1 ? 'was' : 'were'} ignored`);
  }
  if (filter.malformed > 0) {
    warnings.push(`${countOf(filter.malformed, 'malformed resource')} ${filter.malformed === 1 ? 'was' : 'were'} ignored`);
  }
  for (const name of READ_NAMES) {
    const outcome = reads[name];
    for (const note of outcome.kind === 'ok' ? (outcome.notes ?? []) : []) {
      warnings.push(`${capitalise(READ_LABELS[name])}: ${note}`);
    }
  }
  return warnings;
}

function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
