/**
 * Small builders for hand-made PatientContexts, so each tailoring rule and each ignored status can be tested on
 * exactly the facts it is about. Codings go through the chart mapper's `codingOf`, so they are normalised the same
 * way as codings read from an EHR.
 */
import { codingOf, type CodingFact } from '../../server/chart/chart-codings';
import type {
  ConditionFact,
  DeviceFact,
  IngredientStrength,
  MedicationFact,
  ObservationFact,
  PatientContext,
  ProcedureFact,
  StructuredDosage,
} from '../../server/chart/patient-context';

const SYSTEMS = {
  icd: 'http://hl7.org/fhir/sid/icd-10-cm',
  snomed: 'http://snomed.info/sct',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cpt: 'http://www.ama-assn.org/go/cpt',
} as const;

export const coding = (system: keyof typeof SYSTEMS, code: string, display?: string): CodingFact =>
  codingOf({ system: SYSTEMS[system], code, display })!;

export function emptyContext(overrides: Partial<PatientContext> = {}): PatientContext {
  const ok = { state: 'ok' } as const;
  return {
    patient: { id: 'test-patient', ageYears: 50 },
    conditions: [],
    medications: [],
    allergies: [],
    procedures: [],
    devices: [],
    reads: {
      patient: ok, encounter: ok, practitioner: ok, conditions: ok, medicationRequests: ok,
      medicationStatements: ok, allergies: ok, observations: ok, procedures: ok, devices: ok,
    },
    warnings: [],
    ...overrides,
  };
}

export function condition(id: string, display: string, codings: CodingFact[], status: Partial<ConditionFact> = {}): ConditionFact {
  return { reference: `Condition/${id}`, display, codings, clinicalStatus: 'active', verificationStatus: 'confirmed', ...status };
}

/** An oral dose in mg every `hours` hours, as FHIR `timing.repeat` says "every N h". */
export function everyHours(mg: number, hours: number, extra: Partial<StructuredDosage> = {}): StructuredDosage {
  return { dose: { value: mg, unit: 'mg' }, frequency: 1, period: hours, periodUnit: 'h', asNeeded: false, route: 'Oral', ...extra };
}

export function medication(id: string, display: string, fields: Partial<MedicationFact> = {}): MedicationFact {
  const dosages = fields.dosages ?? [];
  return {
    reference: `MedicationRequest/${id}`,
    source: 'MedicationRequest',
    status: 'active',
    display,
    codings: [],
    ingredientCodings: [],
    resolution: 'inline',
    routeCodings: [],
    dosages,
    route: dosages[0]?.route,
    ...fields,
  };
}

export function strength(ingredient: CodingFact, mg: number, perUnit: string): IngredientStrength {
  return { codings: [ingredient], display: ingredient.display, numerator: { value: mg, unit: 'mg' }, denominator: { value: 1, unit: perUnit } };
}

export function hba1c(value: number, fields: Partial<ObservationFact> = {}): ObservationFact {
  return { reference: 'Observation/hba1c', code: '4548-4', display: 'Hemoglobin A1c', value, unit: '%', effective: '2026-11-02', status: 'final', ...fields };
}

export function procedure(id: string, cpt: string, display: string, status = 'completed'): ProcedureFact {
  return { reference: `Procedure/${id}`, display, codings: [coding('cpt', cpt, display)], status, performed: '2020-06-15' };
}

export function device(id: string, display: string, fields: Partial<DeviceFact> = {}): DeviceFact {
  return { reference: `Device/${id}`, display, codings: [], status: 'active', ...fields };
}
