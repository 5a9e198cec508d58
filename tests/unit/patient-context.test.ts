/**
 * The chart mapping on every synthetic patient the sandbox serves: what the clinician will see for name, age,
 * language, medications, conditions and results, read the way the FHIR server would answer the launch reads.
 */
import type { Bundle, FhirResource } from 'fhir/r4';
import { buildPatientContext, type MedicationFact, type PatientContext } from '../../server/chart/patient-context';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';
import type { SyntheticIndexEntry } from '../support/synthetic-patients';
import { loadSyntheticBundle, sandboxPractitioners, syntheticIndex } from '../support/synthetic-patients';

const NOW = new Date('2026-11-25T12:00:00Z');

type IndexEntry = SyntheticIndexEntry;
const index = syntheticIndex;
const practitioners = sandboxPractitioners();

function loadBundle(file: string): Bundle {
  return loadSyntheticBundle(file);
}

function contextFor(entry: IndexEntry): { context: PatientContext; bundle: Bundle } {
  const bundle = loadBundle(entry.file);
  const launch = { patientId: entry.patientId, encounterId: entry.encounterId, fhirUser: 'Practitioner/itdd-dr-rivera' };
  const reads = chartReadsFromBundle(bundle, launch, { extraResources: practitioners });
  return { context: buildPatientContext(reads, NOW), bundle };
}

function medication(context: PatientContext, pattern: RegExp): MedicationFact {
  const found = context.medications.find((fact) => pattern.test(fact.display));
  if (!found) {
    throw new Error(`no medication matching ${pattern.source}`);
  }
  return found;
}

function codesOf(codings: { knownSystem?: string; normalized?: string }[]): string[] {
  return codings.map((coding) => `${coding.knownSystem ?? '?'}|${coding.normalized ?? ''}`);
}

type Expectation = (context: PatientContext) => void;

/** What each scenario in `fhir-resources/patients/index.json` must look like to the clinician. */
const EXPECTATIONS: Record<string, Expectation> = {
  'anticoagulant.json': (context) => {
    expect(context.patient).toMatchObject({ name: 'Margaret Ann Ellison', birthDate: '1957-03-14', ageYears: 69, sex: 'female', mrn: 'SBX-100001' });
    expect(codesOf(medication(context, /apixaban/).codings)).toContain('rxnorm|1364445');
    expect(context.conditions.map((fact) => fact.reference)).not.toContain('Condition/anticoagulant-condition-osa-error');
    expect(context.conditions.map((fact) => fact.display)).toContain('Atrial fibrillation, paroxysmal');
    expect(context.latestPainScore).toMatchObject({ reference: 'Observation/anticoagulant-obs-pain-2026-11', value: 7 });
    expect(context.allergies[0]).toMatchObject({ display: 'Iodinated contrast media', reactions: ['Hives'] });
  },
  'antiplatelet.json': (context) => {
    expect(context.medications.map((fact) => [fact.display, fact.status])).toEqual(
      expect.arrayContaining([['clopidogrel 75 MG Oral Tablet', 'active'], ['warfarin sodium 5 MG Oral Tablet', 'stopped']]),
    );
    const diabetes = context.conditions.find((fact) => codesOf(fact.codings).includes('icd-10-cm|E119'));
    expect(diabetes?.verificationStatus).toBe('refuted');
  },
  'diabetes-hba1c.json': (context) => {
    expect(context.latestHbA1c).toMatchObject({ reference: 'Observation/diabetes-hba1c-obs-hba1c-2026-11', value: 8.1, unit: '%', code: '4548-4' });
    expect(context.latestPainScore?.value).toBe(7);
  },
  'sleep-apnoea-benzodiazepine.json': (context) => {
    expect(context.conditions.flatMap((fact) => codesOf(fact.codings))).toContain('icd-10-cm|G4733');
    expect(medication(context, /gabapentin/)).toMatchObject({ source: 'MedicationStatement', effective: '2025-03-01' });
    expect(medication(context, /tramadol/).dosages[0]).toMatchObject({ period: 6, periodUnit: 'h', asNeeded: true });
  },
  'cancer-pain-high-dose-opioids.json': (context) => {
    expect(medication(context, /morphine/).dosages[0]).toMatchObject({ dose: { value: 60, unit: 'mg' }, frequency: 1, period: 12, periodUnit: 'h', asNeeded: false });
    expect(medication(context, /oxycodone/)).toMatchObject({ route: 'Oral', dosages: [expect.objectContaining({ dose: { value: 10, unit: 'mg' }, period: 4, asNeeded: true })] });
    expect(medication(context, /lorazepam/).status).toBe('completed');
  },
  'baclofen-pump.json': (context) => {
    expect(context.devices).toEqual([
      expect.objectContaining({ display: 'SynchroMed II', manufacturer: 'Medtronic', modelNumber: '8637-40', status: 'active' }),
    ]);
    expect(context.procedures.flatMap((fact) => codesOf(fact.codings))).toEqual(expect.arrayContaining(['cpt|62362', 'cpt|95990']));
  },
  'psychosis-ziconotide.json': (context) => {
    expect(context.conditions.flatMap((fact) => fact.codings.map((coding) => [coding.code, coding.normalized]))).toContainEqual(['F20.9', 'F209']);
    expect(medication(context, /ziconotide/).status).toBe('draft');
    expect(codesOf(context.allergies[0].codings)).toContain('rxnorm|7052');
  },
  'spanish-speaker.json': (context) => {
    expect(context.patient).toMatchObject({ name: 'José Ángel Ñúñez', preferredLanguage: { code: 'es', display: 'Spanish' } });
  },
  'html-hostile-name.json': (context) => {
    expect(context.patient?.name).toContain('</script><script>alert(2)</script>');
    expect(context.patient?.name).toContain('<img src=x onerror=alert(1)>');
    expect(context.conditions[0]?.display).toContain('<script>alert(6)</script>');
  },
  'arabic-rtl-name.json': (context) => {
    expect(context.patient).toMatchObject({ name: 'فاطمة الزهراء', preferredLanguage: { code: 'ar' } });
  },
  'minimal-data.json': (context) => {
    expect(context.patient).toEqual({ id: 'minimal-data-patient', sex: 'unknown' });
    expect(context.encounter?.status).toBe('planned');
    expect([context.conditions, context.medications, context.allergies, context.procedures, context.devices]).toEqual([[], [], [], [], []]);
    expect(context.latestHbA1c).toBeUndefined();
    expect(context.latestPainScore).toBeUndefined();
  },
  'medication-references.json': (context) => {
    expect(medication(context, /hydrocodone/)).toMatchObject({ resolution: 'contained' });
    expect(codesOf(medication(context, /hydrocodone/).codings)).toContain('rxnorm|856999');
    expect(medication(context, /pregabalin/)).toMatchObject({ resolution: 'included' });
    expect(codesOf(medication(context, /pregabalin/).codings)).toContain('rxnorm|483450');
  },
};

describe('buildPatientContext on the synthetic patients', () => {
  test('every scenario with expectations is still in the patient index', () => {
    expect(index.map((entry) => entry.file)).toEqual(expect.arrayContaining(Object.keys(EXPECTATIONS)));
  });

  test.each(index.map((entry) => [entry.file, entry] as const))('%s', (file, entry) => {
    const { context, bundle } = contextFor(entry);
    const inBundle = new Set((bundle.entry ?? []).map((item) => `${item.resource!.resourceType}/${item.resource!.id!}`));
    expect(context.patient?.id).toBe(entry.patientId);
    expect(context.encounter?.id).toBe(entry.encounterId);
    expect(context.practitioner).toMatchObject({ reference: 'Practitioner/itdd-dr-rivera', name: 'Elena Rivera, MD' });
    expect(context.practitioner?.qualifications?.map((q) => [q.system, q.code])).toEqual([['http://terminology.hl7.org/CodeSystem/v2-0360', 'MD']]);
    expect(Object.values(context.reads).every((read) => read.state === 'ok')).toBe(true);
    expect(context.warnings).toEqual([]);
    const cited = [...context.conditions, ...context.medications, ...context.allergies, ...context.procedures, ...context.devices];
    for (const fact of cited) {
      expect(inBundle.has(fact.reference)).toBe(true);
      expect(isEnteredInError(bundle, fact.reference)).toBe(false);
    }
    expect(context.medications.every((fact) => fact.resolution !== 'unresolved' && fact.display !== 'unknown medication')).toBe(true);
    EXPECTATIONS[file]?.(context);
  });
});

function isEnteredInError(bundle: Bundle, reference: string): boolean {
  const resource = (bundle.entry ?? []).map((item) => item.resource as FhirResource).find((item) => `${item.resourceType}/${item.id}` === reference);
  return JSON.stringify(resource ?? {}).includes('entered-in-error');
}
