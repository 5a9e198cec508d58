/**
 * Proves the sandbox EHR's synthetic patients are fit to load and to test against: valid FHIR R4, self-contained
 * (every reference resolves), coded only with verified terminology, and covering the 12 clinical scenarios the
 * tailoring engine and the end-to-end tests rely on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { validateResource } from '@medplum/core';
import type {
  AllergyIntolerance,
  Bundle,
  CodeableConcept,
  Condition,
  Device,
  Encounter,
  FhirResource,
  Medication,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
} from 'fhir/r4';
import { loadFhirDefinitions } from '../../fhir-resources/fhir-definitions';

const FHIR_RESOURCES = path.resolve(__dirname, '../../fhir-resources');
const PATIENTS_DIR = path.join(FHIR_RESOURCES, 'patients');
const TERMINOLOGY_PATH = path.resolve(__dirname, '../../content/terminology/terminology-verified.json');
const MRN_SYSTEM = 'https://itdd-consent.example/sandbox/mrn';
const SPECIALIST = 'Practitioner/itdd-dr-rivera';
const CLINIC = 'Organization/itdd-org-pain-clinic';
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

interface IndexEntry {
  file: string;
  patientId: string;
  encounterId: string;
  scenario: string;
}

interface TerminologyEntry {
  system: string;
  code: string | null;
  display: string | null;
  verified: boolean;
}

interface Terminology {
  meta: { systems: Record<string, string> };
  medicationClasses: Record<string, TerminologyEntry[]>;
  mme: { '2022': { factors: { opioid: string; rxnormIngredient: string; factor: number }[] } };
}

function readJsonFile<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

function readTerminology(): Terminology {
  return readJsonFile<Terminology>(TERMINOLOGY_PATH);
}

const index = readJsonFile<IndexEntry[]>(path.join(PATIENTS_DIR, 'index.json'));
const practitioners = readJsonFile<Bundle>(path.join(FHIR_RESOURCES, 'sandbox/practitioners.json'));
const bundles = new Map(index.map((e) => [e.file, readJsonFile<Bundle>(path.join(PATIENTS_DIR, e.file))]));

function resourcesOf(bundle: Bundle): FhirResource[] {
  return (bundle.entry ?? []).map((entry) => entry.resource).filter((r): r is FhirResource => r !== undefined);
}

function ofType<K extends FhirResource['resourceType']>(bundle: Bundle, type: K): Extract<FhirResource, { resourceType: K }>[] {
  return resourcesOf(bundle).filter((r): r is Extract<FhirResource, { resourceType: K }> => r.resourceType === type);
}

function bundleOf(file: string): Bundle {
  const bundle = bundles.get(file);
  if (!bundle) {
    throw new Error(`${file} is not in index.json`);
  }
  return bundle;
}

function allBundles(): [string, Bundle][] {
  return [...bundles.entries()];
}

/** Every nested object of a JSON value (the value itself included), for generic checks on references and codings. */
function objectsIn(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) {
    return value.flatMap(objectsIn);
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return [obj, ...Object.values(obj).flatMap(objectsIn)];
  }
  return [];
}

function codeKeys(concept: CodeableConcept | undefined): string[] {
  return (concept?.coding ?? []).map((c) => `${c.system}|${c.code}`);
}

function statusCode(concept: CodeableConcept | undefined): string | undefined {
  return concept?.coding?.[0]?.code;
}

/** A Condition the tailoring engine should believe: confirmed (or unconfirmed) and clinically active. */
function isLiveCondition(condition: Condition): boolean {
  const verification = statusCode(condition.verificationStatus);
  return statusCode(condition.clinicalStatus) === 'active' && verification !== 'refuted' && verification !== 'entered-in-error';
}

function icd10Codes(bundle: Bundle): string[] {
  return ofType(bundle, 'Condition')
    .filter(isLiveCondition)
    .flatMap((c) => c.code?.coding ?? [])
    .filter((c) => c.system === 'http://hl7.org/fhir/sid/icd-10-cm')
    .map((c) => c.code ?? '');
}

function activeRequests(bundle: Bundle): MedicationRequest[] {
  return ofType(bundle, 'MedicationRequest').filter((m) => m.status === 'active');
}

function classCodes(terminology: Terminology, medicationClass: string): Set<string> {
  const entries = terminology.medicationClasses[medicationClass] ?? [];
  return new Set(entries.filter((e) => e.verified && e.code).map((e) => `${e.system}|${e.code}`));
}

function inClass(terminology: Terminology, medicationClass: string, request: MedicationRequest): boolean {
  const codes = classCodes(terminology, medicationClass);
  return codeKeys(request.medicationCodeableConcept).some((k) => codes.has(k));
}

function patientOf(bundle: Bundle): Patient {
  const [patient] = ofType(bundle, 'Patient');
  if (!patient) {
    throw new Error('bundle has no Patient');
  }
  return patient;
}

/** Doses per day from a FHIR Timing.repeat (frequency per period), for the hour and day units the bundles use. */
function dosesPerDay(request: MedicationRequest): number {
  const repeat = request.dosageInstruction?.[0]?.timing?.repeat;
  const hoursPerUnit: Record<string, number> = { h: 1, d: 24 };
  const hours = (repeat?.period ?? 0) * (hoursPerUnit[repeat?.periodUnit ?? ''] ?? Number.NaN);
  return ((repeat?.frequency ?? 0) * 24) / hours;
}

/** Oral morphine milligram equivalents per day (CDC 2022 factors from the verified terminology), all as-needed doses taken. */
function oralMmePerDay(terminology: Terminology, requests: MedicationRequest[]): number {
  return requests.reduce((total, request) => {
    const display = request.medicationCodeableConcept?.coding?.[0]?.display?.toLowerCase() ?? '';
    const factor = terminology.mme['2022'].factors.find((f) => display.includes(f.opioid))?.factor ?? 0;
    const dose = request.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity;
    expect(dose).toMatchObject({ system: 'http://unitsofmeasure.org', code: 'mg' });
    expect(request.dosageInstruction?.[0]?.route?.text).toBe('Oral');
    return total + (dose?.value ?? 0) * dosesPerDay(request) * factor;
  }, 0);
}

describe('synthetic patient files and index', () => {
  test('the index lists at least 12 patients and every patient file on disk', () => {
    const onDisk = fs.readdirSync(PATIENTS_DIR).filter((f) => f.endsWith('.json') && f !== 'index.json');
    expect(index.length).toBeGreaterThanOrEqual(12);
    expect(index.map((e) => e.file).sort()).toEqual(onDisk.sort());
    expect(new Set(index.map((e) => e.file)).size).toBe(index.length);
  });

  test.each(index.map((e) => [e.file, e] as const))('%s: index ids point at its Patient and a current ambulatory Encounter', (file, entry) => {
    const bundle = bundleOf(file);
    expect(entry.scenario.trim().length).toBeGreaterThan(10);
    expect(ofType(bundle, 'Patient').map((p) => p.id)).toEqual([entry.patientId]);
    const encounter = ofType(bundle, 'Encounter').find((e) => e.id === entry.encounterId);
    expect(encounter).toBeDefined();
    expectCurrentClinicEncounter(encounter!, entry.patientId);
  });

  test.each(allBundles())('%s: is a collection Bundle whose entries carry only a resource', (_file, bundle) => {
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');
    for (const entry of bundle.entry ?? []) {
      expect(Object.keys(entry)).toEqual(['resource']);
    }
  });

  test.each(allBundles())('%s: clinical resources all belong to the bundle\'s own patient', (_file, bundle) => {
    const own = `Patient/${patientOf(bundle).id}`;
    for (const resource of resourcesOf(bundle)) {
      const owner = (resource as { subject?: { reference?: string }; patient?: { reference?: string } });
      const reference = owner.subject?.reference ?? owner.patient?.reference;
      if (reference !== undefined) {
        expect(`${resource.resourceType}/${resource.id}: ${reference}`).toBe(`${resource.resourceType}/${resource.id}: ${own}`);
      }
    }
  });
});

function expectCurrentClinicEncounter(encounter: Encounter, patientId: string): void {
  expect(['in-progress', 'planned']).toContain(encounter.status);
  expect(encounter.class).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' });
  expect(encounter.subject?.reference).toBe(`Patient/${patientId}`);
  expect(encounter.participant?.map((p) => p.individual?.reference)).toContain(SPECIALIST);
  expect(encounter.serviceProvider?.reference).toBe(CLINIC);
}

describe('FHIR validity', () => {
  beforeAll(() => loadFhirDefinitions());

  const everyFile: [string, Bundle][] = [['sandbox/practitioners.json', practitioners], ...allBundles()];

  test.each(everyFile)('%s: every resource passes @medplum/core validateResource', (_file, bundle) => {
    for (const resource of resourcesOf(bundle)) {
      const issues = validateResource(resource as Parameters<typeof validateResource>[0]);
      expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    }
  });

  test('loadFhirDefinitions is idempotent', () => {
    expect(() => loadFhirDefinitions()).not.toThrow();
  });

  test('ids are well formed and unique across all files, and prefixed by their file slug or itdd-', () => {
    const seen = new Map<string, string>();
    for (const [file, bundle] of everyFile) {
      const prefix = file === 'sandbox/practitioners.json' ? 'itdd-' : `${file.replace(/\.json$/, '')}-`;
      for (const resource of resourcesOf(bundle)) {
        const id = resource.id ?? '';
        expect(id).toMatch(ID_PATTERN);
        expect(id.startsWith(prefix)).toBe(true);
        expect(seen.get(id)).toBeUndefined();
        seen.set(id, file);
      }
    }
  });

  test.each(allBundles())('%s: every relative and contained reference resolves', (_file, bundle) => {
    const known = new Set([...resourcesOf(practitioners), ...resourcesOf(bundle)].map((r) => `${r.resourceType}/${r.id}`));
    for (const resource of resourcesOf(bundle)) {
      const containedIds = new Set((('contained' in resource ? resource.contained : undefined) ?? []).map((c) => `#${c.id}`));
      for (const obj of objectsIn(resource)) {
        if (typeof obj.reference !== 'string') {
          continue;
        }
        const target = obj.reference.startsWith('#') ? containedIds : known;
        expect(`${resource.id} -> ${obj.reference}: ${target.has(obj.reference)}`).toBe(`${resource.id} -> ${obj.reference}: true`);
      }
    }
  });

  test('practitioners.json references only its own resources', () => {
    const known = new Set(resourcesOf(practitioners).map((r) => `${r.resourceType}/${r.id}`));
    const references = objectsIn(practitioners).flatMap((o) => (typeof o.reference === 'string' ? [o.reference] : []));
    expect(references.length).toBeGreaterThan(0);
    expect(references.filter((r) => !known.has(r))).toEqual([]);
  });
});

describe('terminology', () => {
  test('every RxNorm, ICD-10-CM, SNOMED CT, CPT and LOINC coding is verified in the repository terminology, with its display', () => {
    const terminology = readTerminology();
    const systems = new Set(Object.values(terminology.meta.systems));
    const verified = new Map<string, string | null>();
    for (const obj of objectsIn(terminology)) {
      if (obj.verified === true && typeof obj.system === 'string' && typeof obj.code === 'string') {
        verified.set(`${obj.system}|${obj.code}`, (obj.display as string | null) ?? null);
      }
    }
    const codings = allBundles().flatMap(([, b]) => objectsIn(b)).filter((o) => typeof o.system === 'string' && 'code' in o);
    const governed = codings.filter((c) => systems.has(c.system as string));
    expect(governed.length).toBeGreaterThan(30);
    for (const coding of governed) {
      const key = `${coding.system as string}|${coding.code as string}`;
      expect(`${key} verified: ${verified.has(key)}`).toBe(`${key} verified: true`);
      expect(`${key}: ${coding.display as string}`).toBe(`${key}: ${verified.get(key)}`);
    }
    const lookalikes = codings.filter((c) => /rxnorm|icd-10|snomed|loinc|ama-assn/i.test(c.system as string) && !systems.has(c.system as string));
    expect(lookalikes).toEqual([]);
  });
});

describe('sandbox users', () => {
  const users = ofType(practitioners, 'Practitioner');

  test('practitioners.json is a collection with the specialist, a second physician, a nurse, an analyst, the clinic and a location', () => {
    expect(practitioners.type).toBe('collection');
    expect(users.map((p) => p.id)).toEqual(expect.arrayContaining(['itdd-dr-rivera', 'itdd-dr-chen', 'itdd-rn-patel', 'itdd-compliance-brooks']));
    expect(ofType(practitioners, 'Organization').map((o) => o.id)).toEqual(['itdd-org-pain-clinic']);
    expect(ofType(practitioners, 'Location').map((l) => l.id)).toEqual(['itdd-loc-pain-clinic']);
    for (const resource of resourcesOf(practitioners)) {
      expect(resource.id).toMatch(/^itdd-[a-z0-9-]+$/);
    }
  });

  test.each(users.map((u) => [u.id, u] as const))('%s has a name and a 10-digit NPI-style identifier', (_id, user) => {
    expect(user.name?.[0]?.family).toBeTruthy();
    const npi = user.identifier?.find((i) => i.system === 'http://hl7.org/fhir/sid/us-npi');
    expect(npi?.value).toMatch(/^\d{10}$/);
  });
});

describe('patients carry the demographics the app shows', () => {
  const complete = index.filter((e) => e.file !== 'minimal-data.json');

  test.each(complete.map((e) => [e.file] as const))('%s: Patient has name, birth date, gender, MRN and a synthetic-data tag', (file) => {
    const patient = patientOf(bundleOf(file));
    expect(patient.name?.[0]?.family).toBeTruthy();
    expect(patient.name?.[0]?.given?.length).toBeGreaterThan(0);
    expect(patient.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(['male', 'female', 'other', 'unknown']).toContain(patient.gender);
    expect(patient.identifier?.find((i) => i.system === MRN_SYSTEM)?.value).toMatch(/^SBX-\d{6}$/);
    expect(patient.meta?.tag?.map((t) => t.code)).toContain('HTEST');
  });

  test('MRNs are unique', () => {
    const mrns = complete.map((e) => patientOf(bundleOf(e.file)).identifier?.find((i) => i.system === MRN_SYSTEM)?.value);
    expect(new Set(mrns).size).toBe(complete.length);
  });

  test('Conditions carry clinical (unless entered in error) and verification status from the FHIR code systems, and a category', () => {
    const conditions = allBundles().flatMap(([, b]) => ofType(b, 'Condition'));
    for (const condition of conditions) {
      expect(condition.verificationStatus?.coding?.[0]?.system).toBe('http://terminology.hl7.org/CodeSystem/condition-ver-status');
      expect(['unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error']).toContain(statusCode(condition.verificationStatus));
      expect(condition.category?.[0]?.coding?.[0]?.code).toMatch(/^(problem-list-item|encounter-diagnosis)$/);
      if (statusCode(condition.verificationStatus) !== 'entered-in-error') {
        expect(condition.clinicalStatus?.coding?.[0]?.system).toBe('http://terminology.hl7.org/CodeSystem/condition-clinical');
        expect(['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved']).toContain(statusCode(condition.clinicalStatus));
      }
    }
  });

  test('Observations are final, categorised, dated and about the patient', () => {
    const observations: Observation[] = allBundles().flatMap(([, b]) => ofType(b, 'Observation'));
    expect(observations.length).toBeGreaterThan(10);
    for (const observation of observations) {
      expect(observation.status).toBe('final');
      expect(observation.category?.[0]?.coding?.[0]?.code).toMatch(/^(laboratory|survey|vital-signs)$/);
      expect(observation.effectiveDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(observation.subject?.reference).toMatch(/^Patient\//);
    }
  });
});

type ScenarioCheck = (bundle: Bundle, terminology: Terminology) => void;

const scenarios: [string, string, ScenarioCheck][] = [
  ['1 anticoagulant with chronic non-cancer pain and a pain score', 'anticoagulant.json', (b, t) => {
    expect(activeRequests(b).filter((m) => inClass(t, 'anticoagulant', m)).length).toBeGreaterThan(0);
    expect(icd10Codes(b)).toContain('M96.1');
    expect(ofType(b, 'Observation').some((o) => codeKeys(o.code).includes('http://loinc.org|72514-3'))).toBe(true);
  }],
  ['2 antiplatelet', 'antiplatelet.json', (b, t) => {
    expect(activeRequests(b).filter((m) => inClass(t, 'antiplatelet', m)).length).toBeGreaterThan(0);
    expect(activeRequests(b).filter((m) => inClass(t, 'anticoagulant', m))).toEqual([]);
  }],
  ['3 diabetic whose latest HbA1c is >= 7 % after an older one below 7 %', 'diabetes-hba1c.json', (b) => {
    expect(icd10Codes(b).some((c) => /^E1[01]/.test(c))).toBe(true);
    const hba1c = ofType(b, 'Observation')
      .filter((o) => codeKeys(o.code).includes('http://loinc.org|4548-4'))
      .sort((x, y) => (x.effectiveDateTime ?? '').localeCompare(y.effectiveDateTime ?? ''));
    expect(hba1c.length).toBeGreaterThanOrEqual(2);
    expect(hba1c.map((o) => o.valueQuantity?.code)).toEqual(hba1c.map(() => '%'));
    expect(hba1c.at(-1)!.valueQuantity!.value!).toBeGreaterThanOrEqual(7);
    expect(hba1c.slice(0, -1).some((o) => o.valueQuantity!.value! < 7)).toBe(true);
  }],
  ['4 obstructive sleep apnoea with a benzodiazepine and a gabapentinoid', 'sleep-apnoea-benzodiazepine.json', (b, t) => {
    expect(icd10Codes(b)).toContain('G47.33');
    expect(activeRequests(b).filter((m) => inClass(t, 'benzodiazepine', m)).length).toBeGreaterThan(0);
    const gabapentinoids = classCodes(t, 'gabapentinoid');
    const statements = ofType(b, 'MedicationStatement').filter((s) => s.status === 'active');
    expect(statements.some((s) => codeKeys(s.medicationCodeableConcept).some((k) => gabapentinoids.has(k)))).toBe(true);
  }],
  ['5 cancer pain on high-dose oral opioids with computable MME', 'cancer-pain-high-dose-opioids.json', (b, t) => {
    expect(icd10Codes(b)).toEqual(expect.arrayContaining(['G89.3', 'C34.90']));
    const opioids = activeRequests(b).filter((m) => inClass(t, 'opioid', m));
    expect(opioids).toHaveLength(2);
    // Morphine ER 60 mg x 2/day x 1 + oxycodone 10 mg x 6/day x 1.5 = 120 + 90.
    expect(oralMmePerDay(t, opioids)).toBeCloseTo(210, 6);
  }],
  ['6 spasticity with an existing intrathecal baclofen pump', 'baclofen-pump.json', (b) => {
    expect(icd10Codes(b)).toContain('G35');
    const pumps = ofType(b, 'Device').filter((d: Device) => d.status === 'active');
    expect(pumps.map((d) => d.deviceName?.[0]?.name)).toEqual(['SynchroMed II']);
    expect(pumps[0]?.manufacturer).toBe('Medtronic');
    expect(pumps[0]?.modelNumber).toBeTruthy();
    const implant = ofType(b, 'Procedure').find((p: Procedure) => codeKeys(p.code).includes('http://www.ama-assn.org/go/cpt|62362'));
    expect(implant?.status).toBe('completed');
    expect(Date.parse(implant!.performedDateTime!)).toBeLessThan(Date.now());
    const baclofen = activeRequests(b).find((m) => /baclofen/i.test(m.medicationCodeableConcept?.text ?? ''));
    expect(baclofen?.dosageInstruction?.[0]?.route?.text).toBe('Intrathecal');
  }],
  ['7 history of psychosis with ziconotide under consideration', 'psychosis-ziconotide.json', (b) => {
    expect(icd10Codes(b).some((c) => /^F2\d/.test(c))).toBe(true);
    const ziconotide = ofType(b, 'MedicationRequest').find((m) => m.medicationCodeableConcept?.text === 'ziconotide');
    expect(ziconotide?.status).toBe('draft');
    expect(ziconotide?.medicationCodeableConcept?.coding).toBeUndefined();
    const allergy: AllergyIntolerance | undefined = ofType(b, 'AllergyIntolerance')[0];
    expect(codeKeys(allergy?.code)).toContain('http://www.nlm.nih.gov/research/umls/rxnorm|7052');
  }],
  ['8 Spanish preferred with an accented Hispanic name', 'spanish-speaker.json', (b) => {
    const patient = patientOf(b);
    expect(patient.communication).toEqual([expect.objectContaining({ preferred: true, language: expect.objectContaining({ coding: [expect.objectContaining({ system: 'urn:ietf:bcp:47', code: 'es' })] }) })]);
    expect(patient.name?.[0]?.family).toBe('Ñúñez');
    expect(patient.name?.[0]?.given).toContain('José');
  }],
  ['9 a name full of HTML-dangerous characters, kept verbatim', 'html-hostile-name.json', (b) => {
    const name = patientOf(b).name?.[0];
    expect(name?.family).toBe('<img src=x onerror=alert(1)>');
    expect(name?.given).toEqual(["Robert'); DROP--", '</script><script>alert(2)</script>']);
    expect(name?.suffix?.join(' ')).toMatch(/&.*".*</);
  }],
  ['10 a right-to-left Arabic name with Arabic preferred', 'arabic-rtl-name.json', (b) => {
    const patient = patientOf(b);
    const arabic = /^[\u0600-\u06FF ]+$/;
    expect(patient.name?.[0]?.family).toMatch(arabic);
    expect(patient.name?.[0]?.given?.[0]).toMatch(arabic);
    expect(patient.communication?.[0]?.language?.coding?.[0]?.code).toBe('ar');
    expect(patient.communication?.[0]?.preferred).toBe(true);
  }],
  ['10b a Chinese name in Han characters with Chinese preferred (no handout pack in Chinese)', 'chinese-speaker.json', (b) => {
    const patient = patientOf(b);
    const han = /^[\u4E00-\u9FFF]+$/;
    expect(patient.name?.[0]?.family).toMatch(han);
    expect(patient.name?.[0]?.given?.[0]).toMatch(han);
    expect(patient.communication).toEqual([expect.objectContaining({ preferred: true, language: expect.objectContaining({ coding: [expect.objectContaining({ system: 'urn:ietf:bcp:47', code: 'zh' })] }) })]);
  }],
  ['11 almost no data', 'minimal-data.json', (b) => {
    const patient = patientOf(b);
    expect(patient.name).toBeUndefined();
    expect(patient.birthDate).toBeUndefined();
    expect(patient.identifier).toBeUndefined();
    expect(patient.gender).toBe('unknown');
    expect(resourcesOf(b).map((r) => r.resourceType).sort()).toEqual(['Encounter', 'Patient']);
  }],
  ['12 medications only by reference, one contained, including an opioid', 'medication-references.json', (b, t) => {
    const requests = ofType(b, 'MedicationRequest');
    expect(requests.every((m) => m.medicationCodeableConcept === undefined && m.medicationReference?.reference)).toBe(true);
    const containedRequest = requests.find((m) => m.medicationReference?.reference === '#med1');
    const contained = containedRequest?.contained?.find((c): c is Medication => c.resourceType === 'Medication' && c.id === 'med1');
    const separate = requests.map((m) => m.medicationReference!.reference!).find((r) => r.startsWith('Medication/'));
    const separateMedication = ofType(b, 'Medication').find((m) => `Medication/${m.id}` === separate);
    expect(contained).toBeDefined();
    expect(separateMedication).toBeDefined();
    const opioids = classCodes(t, 'opioid');
    expect([contained, separateMedication].some((m) => codeKeys(m?.code).some((k) => opioids.has(k)))).toBe(true);
  }],
];

describe('scenario coverage', () => {
  test.each(scenarios)('%s (%s)', (_name, file, check) => {
    check(bundleOf(file), readTerminology());
  });

  test('the first patient in the index (the simulator default) is the anticoagulant case', () => {
    expect(index[0]?.file).toBe('anticoagulant.json');
  });
});

describe('facts the tailoring engine must ignore or weigh are present somewhere', () => {
  const everything = allBundles().flatMap(([, b]) => resourcesOf(b));
  const conditions = everything.filter((r): r is Condition => r.resourceType === 'Condition');
  const requests = everything.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest');

  test('an entered-in-error and a refuted Condition', () => {
    const verification = conditions.map((c) => statusCode(c.verificationStatus));
    expect(verification).toEqual(expect.arrayContaining(['entered-in-error', 'refuted']));
  });

  test('a stopped and a completed MedicationRequest', () => {
    expect(requests.map((m) => m.status)).toEqual(expect.arrayContaining(['stopped', 'completed']));
  });

  test('an AllergyIntolerance with a reaction, a MedicationStatement and a Procedure', () => {
    const allergies = everything.filter((r): r is AllergyIntolerance => r.resourceType === 'AllergyIntolerance');
    expect(allergies.some((a) => (a.reaction?.[0]?.manifestation.length ?? 0) > 0)).toBe(true);
    expect(everything.some((r) => r.resourceType === 'MedicationStatement')).toBe(true);
    expect(everything.some((r) => r.resourceType === 'Procedure' && /intrathecal/i.test(r.code?.text ?? ''))).toBe(true);
  });

  test('a systemic steroid or immunosuppressant, and COPD, on live records', () => {
    const terminology = readTerminology();
    const live = requests.filter((m) => m.status === 'active');
    expect(live.some((m) => inClass(terminology, 'systemicCorticosteroid', m) || inClass(terminology, 'immunosuppressant', m))).toBe(true);
    expect(allBundles().some(([, b]) => icd10Codes(b).some((c) => c.startsWith('J44')))).toBe(true);
  });
});
