/**
 * The tailoring engine on every synthetic patient (exactly the flags each chart calls for, with sources and
 * evidence from that chart) and on hand-made charts, one rule and one ignored status at a time.
 */
import { buildPatientContext, type ConditionFact, type MedicationFact, type PatientContext } from '../../server/chart/patient-context';
import { activeHandoutFlags, tailor } from '../../server/tailoring/engine';
import type { TailoringResult } from '../../server/tailoring/types';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';
import type { SyntheticIndexEntry } from '../support/synthetic-patients';
import { loadSyntheticBundle, syntheticIndex } from '../support/synthetic-patients';
import { coding, condition, device, emptyContext, everyHours, hba1c, medication, procedure } from '../support/chart-facts-builder';

const NOW = new Date('2026-11-25T12:00:00Z');

type IndexEntry = SyntheticIndexEntry;
const index = syntheticIndex;

function synthetic(entry: IndexEntry): { result: TailoringResult; references: Set<string> } {
  const bundle = loadSyntheticBundle(entry.file);
  const reads = chartReadsFromBundle(bundle, { patientId: entry.patientId, encounterId: entry.encounterId });
  const references = new Set((bundle.entry ?? []).map((e) => `${e.resource!.resourceType}/${e.resource!.id ?? ''}`));
  return { result: tailor(buildPatientContext(reads, NOW)), references };
}

const ids = (result: TailoringResult): string[] => result.flags.map((flag) => flag.id).sort();
const flag = (result: TailoringResult, id: string): TailoringResult['flags'][number] | undefined => result.flags.find((f) => f.id === id);
const run = (overrides: Partial<PatientContext>): TailoringResult => tailor(emptyContext(overrides));

/** Read from each bundle: what the chart shows, and what it shows that must be ignored. */
const EXPECTED: Record<string, { flags: string[]; painType: TailoringResult['painType'] }> = {
  // apixaban (SCD) + Z79.01; M96.1; the entered-in-error sleep apnoea raises no breathing flag.
  'anticoagulant.json': { flags: ['antithrombotic-bleeding-risk', 'antithrombotic-periprocedural-plan', 'non-cancer-pain'], painType: 'non-cancer' },
  // clopidogrel (IN) + aspirin 81 mg; the stopped warfarin and the refuted diabetes raise nothing.
  // …and the coronary stent in the problem list (text only): involve the prescribing cardiologist.
  'antiplatelet.json': {
    flags: ['antiplatelet-coronary-stent', 'antithrombotic-bleeding-risk', 'antithrombotic-periprocedural-plan', 'non-cancer-pain'],
    painType: 'non-cancer',
  },
  // BMI 41.2 kg/m2 (LOINC 39156-5): pump pocket depth.
  'diabetes-hba1c.json': { flags: ['diabetes-infection-risk', 'morbid-obesity-pocket', 'non-cancer-pain'], painType: 'non-cancer' },
  // OSA with clonazepam, gabapentin and tramadol: one combined alert (naloxone), not four separate cautions.
  'sleep-apnoea-benzodiazepine.json': { flags: ['combined-cns-depressants', 'non-cancer-pain'], painType: 'non-cancer' },
  // C34.90 + G89.3 (G89.3 is also a chronic-pain code: cancer wins); the completed lorazepam raises nothing.
  'cancer-pain-high-dose-opioids.json': { flags: ['cancer-pain'], painType: 'cancer' },
  // MS spasticity (no pain code); SynchroMed II 8637-40, CPT 62362/95990, Z97.8 "…pump"; intrathecal baclofen.
  'baclofen-pump.json': {
    flags: ['existing-pump', 'existing-pump-mri', 'intrathecal-baclofen-withdrawal', 'pump-model-mri-labelling'],
    painType: 'unknown',
  },
  // F20.9 + draft ziconotide (text only); patient is 58, so no age caution; the info rule gives way to the alert.
  // …and the high-criticality morphine allergy (RxNorm 7052): a drug used in pumps.
  'psychosis-ziconotide.json': { flags: ['non-cancer-pain', 'pump-drug-allergy', 'ziconotide-psychosis-contraindication'], painType: 'non-cancer' },
  'morphine-allergy.json': { flags: ['non-cancer-pain', 'pump-drug-allergy'], painType: 'non-cancer' },
  'osa-triple-cns-depressants.json': { flags: ['combined-cns-depressants', 'non-cancer-pain'], painType: 'non-cancer' },
  'stent-dual-antiplatelet.json': {
    flags: ['antiplatelet-coronary-stent', 'antithrombotic-bleeding-risk', 'antithrombotic-periprocedural-plan', 'non-cancer-pain'],
    painType: 'non-cancer',
  },
  'spanish-speaker.json': { flags: ['immunosuppression-infection-risk', 'non-cancer-pain'], painType: 'non-cancer' },
  'html-hostile-name.json': { flags: ['non-cancer-pain'], painType: 'non-cancer' },
  'arabic-rtl-name.json': { flags: ['non-cancer-pain', 'respiratory-disease-breathing-risk', 'respiratory-monitoring'], painType: 'non-cancer' },
  'chinese-speaker.json': { flags: ['non-cancer-pain'], painType: 'non-cancer' },
  'minimal-data.json': { flags: [], painType: 'unknown' },
  // pregabalin through Medication/…; hydrocodone through a contained Medication.
  'medication-references.json': { flags: ['non-cancer-pain', 'sedative-breathing-risk', 'sedative-minimise'], painType: 'non-cancer' },
};

describe('tailoring on the synthetic patients', () => {
  test('every patient in the index has an expectation', () => {
    expect(index.map((entry) => entry.file).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(index.map((entry) => [entry.file, entry] as const))('%s gets exactly its flags', (file, entry) => {
    const { result, references } = synthetic(entry);
    expect(ids(result)).toEqual(EXPECTED[file].flags);
    expect(result.painType).toBe(EXPECTED[file].painType);
    for (const raised of result.flags) {
      expect(raised.source.id).not.toBe('');
      expect(raised.source.text.length).toBeGreaterThan(10);
      expect(raised.evidence.length).toBeGreaterThan(0);
      for (const item of raised.evidence) {
        expect(references).toContain(item.reference);
        expect(item.display).not.toBe('');
      }
    }
  });

  test('ignored records never appear as evidence', () => {
    const all = index.flatMap((entry) => synthetic(entry).result.flags.flatMap((f) => f.evidence.map((e) => e.reference)));
    for (const ignored of [
      'Condition/anticoagulant-condition-osa-error',
      'MedicationRequest/antiplatelet-medrx-warfarin',
      'Condition/antiplatelet-condition-diabetes-refuted',
      'MedicationRequest/cancer-pain-high-dose-opioids-medrx-lorazepam',
      'Observation/diabetes-hba1c-obs-hba1c-2025-10',
    ]) {
      expect(all).not.toContain(ignored);
    }
  });

  test('the pump model is named for the clinician', () => {
    const baclofen = synthetic(index.find((entry) => entry.file === 'baclofen-pump.json')!).result;
    expect(flag(baclofen, 'pump-model-mri-labelling')!.reason).toContain('SynchroMed II (Medtronic, model 8637-40)');
    expect(flag(baclofen, 'pump-model-mri-labelling')!.audience).toBe('clinician');
  });
});

describe('bleeding risk', () => {
  const apixaban = (fields: Partial<MedicationFact> = {}): MedicationFact => medication('apixaban', 'apixaban 5 MG Oral Tablet', { codings: [coding('rxnorm', '1364445')], ...fields });

  test('an anticoagulant raises the patient flag and the clinician alert, with no hold times', () => {
    const result = run({ medications: [apixaban()] });
    expect(ids(result)).toEqual(['antithrombotic-bleeding-risk', 'antithrombotic-periprocedural-plan']);
    const alert = flag(result, 'antithrombotic-periprocedural-plan')!;
    expect(alert).toMatchObject({ audience: 'clinician', severity: 'alert' });
    expect(alert.reason).toContain('high-bleeding-risk procedure');
    for (const raised of result.flags) {
      expect(raised.reason).not.toMatch(/\b\d+(\.\d+)?\s*(-\s*\d+\s*)?(h|hours?|d|days?)\b/i);
    }
  });

  test('an antiplatelet by ingredient code and long-term anticoagulant use (Z79.01) count', () => {
    expect(ids(run({ medications: [medication('clopidogrel', 'clopidogrel', { codings: [coding('rxnorm', '32968')] })] }))).toContain('antithrombotic-bleeding-risk');
    expect(ids(run({ conditions: [condition('z7901', 'Long term anticoagulant use', [coding('icd', 'Z79.01')])] }))).toContain('antithrombotic-bleeding-risk');
  });

  test.each(['stopped', 'completed', 'entered-in-error', 'cancelled', 'not-taken', 'draft', 'intended'])('a %s anticoagulant is ignored', (status) => {
    expect(run({ medications: [apixaban({ status })] }).flags).toEqual([]);
  });

  test('an anticoagulant on hold still needs a plan', () => {
    expect(ids(run({ medications: [apixaban({ status: 'on-hold' })] }))).toContain('antithrombotic-periprocedural-plan');
  });

  test('a name is matched only when the medication carries no RxNorm code at all', () => {
    expect(ids(run({ medications: [medication('local', 'Apixaban 5 mg tablet')] }))).toContain('antithrombotic-bleeding-risk');
    const codedOther = medication('metformin', 'metformin with aspirin note', { codings: [coding('rxnorm', '861007')] });
    expect(run({ medications: [codedOther] }).flags).toEqual([]);
  });

  test('a bleeding disorder is a clinician caution, not the blood-thinner paragraph', () => {
    expect(ids(run({ conditions: [condition('d696', 'Thrombocytopenia', [coding('icd', 'D69.6')])] }))).toEqual(['bleeding-disorder']);
  });
});

describe('infection risk', () => {
  const diabetes = (status: Partial<ConditionFact> = {}): ConditionFact => condition('dm', 'Type 2 diabetes', [coding('icd', 'E11.9')], status);

  test('diabetes by ICD-10-CM (with or without the dot) or SNOMED raises it', () => {
    expect(ids(run({ conditions: [diabetes()] }))).toEqual(['diabetes-infection-risk']);
    expect(ids(run({ conditions: [condition('dm', 'T2DM', [coding('icd', 'E119')])] }))).toEqual(['diabetes-infection-risk']);
    expect(ids(run({ conditions: [condition('dm', 'T2DM', [coding('snomed', '44054006')])] }))).toEqual(['diabetes-infection-risk']);
  });

  test.each([
    { verificationStatus: 'refuted' },
    { verificationStatus: 'entered-in-error' },
    { clinicalStatus: 'inactive' },
    { clinicalStatus: 'resolved' },
    { clinicalStatus: 'remission' },
  ])('a diabetes diagnosis with %o is ignored', (status) => {
    expect(run({ conditions: [diabetes(status)] }).flags).toEqual([]);
  });

  test('HbA1c of 7 % or more raises it; below 7, another unit or a void result does not', () => {
    expect(ids(run({ latestHbA1c: hba1c(7) }))).toEqual(['diabetes-infection-risk']);
    expect(flag(run({ latestHbA1c: hba1c(8.1) }), 'diabetes-infection-risk')!.evidence[0].display).toContain('8.1 %');
    expect(run({ latestHbA1c: hba1c(6.9) }).flags).toEqual([]);
    expect(run({ latestHbA1c: hba1c(64, { unit: 'mmol/mol' }) }).flags).toEqual([]);
    expect(run({ latestHbA1c: hba1c(9, { status: 'entered-in-error' }) }).flags).toEqual([]);
    expect(run({ latestHbA1c: hba1c(9, { status: 'cancelled' }) }).flags).toEqual([]);
  });

  test('a systemic steroid or immunosuppressant raises it; a topical steroid does not', () => {
    const prednisone = medication('pred', 'prednisone 10 MG Oral Tablet', { codings: [coding('rxnorm', '198145')] });
    expect(ids(run({ medications: [prednisone] }))).toEqual(['immunosuppression-infection-risk']);
    const methotrexate = medication('mtx', 'methotrexate', { ingredientCodings: [coding('rxnorm', '6851')] });
    expect(ids(run({ medications: [methotrexate] }))).toEqual(['immunosuppression-infection-risk']);
    const cream = medication('hc', 'hydrocortisone 1 % cream', { dosages: [{ asNeeded: true, route: 'Topical' }] });
    expect(run({ medications: [cream] }).flags).toEqual([]);
  });

  test('an active infection raises the patient flag and defers the implant', () => {
    const sepsis = condition('sepsis', 'Sepsis', [coding('icd', 'A41.9')]);
    expect(ids(run({ conditions: [sepsis] }))).toEqual(['active-infection-defer-implant', 'active-infection-risk']);
    expect(run({ conditions: [{ ...sepsis, clinicalStatus: 'resolved' }] }).flags).toEqual([]);
  });
});

describe('breathing risk', () => {
  test('sleep apnoea or COPD raise the patient flag and a monitoring caution', () => {
    for (const code of ['G47.33', 'G4733', 'J44.1']) {
      expect(ids(run({ conditions: [condition('resp', 'breathing', [coding('icd', code)])] }))).toEqual([
        'respiratory-disease-breathing-risk',
        'respiratory-monitoring',
      ]);
    }
    expect(run({ conditions: [condition('osa', 'OSA', [coding('icd', 'G47.33')], { clinicalStatus: 'inactive' })] }).flags).toEqual([]);
  });

  test('a benzodiazepine, a gabapentinoid statement or another sedative raise the sedative flags', () => {
    const clonazepam = medication('clon', 'clonazepam 1 MG Oral Tablet', { codings: [coding('rxnorm', '197528')] });
    const gabapentin = medication('gaba', 'gabapentin 300 MG Oral Capsule', { source: 'MedicationStatement', codings: [coding('rxnorm', '310431')] });
    const zolpidem = medication('zol', 'Zolpidem 10 mg at night');
    for (const sedative of [clonazepam, gabapentin, zolpidem]) {
      expect(ids(run({ medications: [sedative] }))).toEqual(['sedative-breathing-risk', 'sedative-minimise']);
    }
    expect(run({ medications: [{ ...clonazepam, status: 'completed' }] }).flags).toEqual([]);
  });
});

describe('ziconotide and psychosis', () => {
  const schizophrenia = (status: Partial<ConditionFact> = {}): ConditionFact => condition('scz', 'Schizophrenia', [coding('icd', 'F20.9')], status);
  const ziconotide = (fields: Partial<MedicationFact> = {}): MedicationFact => medication('zic', 'ziconotide', { status: 'draft', ...fields });

  test('psychosis with ziconotide planned or active is a contraindication alert', () => {
    for (const planned of [ziconotide(), ziconotide({ status: 'active' }), ziconotide({ source: 'MedicationStatement', status: 'intended' })]) {
      const result = run({ conditions: [schizophrenia()], medications: [planned] });
      expect(ids(result)).toEqual(['ziconotide-psychosis-contraindication']);
      expect(result.flags[0]).toMatchObject({ audience: 'clinician', severity: 'alert' });
    }
    expect(ids(run({ conditions: [schizophrenia()], medications: [medication('p', 'Prialt intrathecal')] }))).toEqual(['ziconotide-psychosis-contraindication']);
  });

  test('a history of psychosis alone (even resolved) says ziconotide would be contraindicated', () => {
    expect(ids(run({ conditions: [schizophrenia()] }))).toEqual(['psychosis-ziconotide-contraindicated']);
    const past = condition('psy', 'Psychosis', [coding('icd', 'F29')], { clinicalStatus: 'resolved' });
    expect(ids(run({ conditions: [past], medications: [ziconotide({ status: 'stopped' })] }))).toEqual(['psychosis-ziconotide-contraindicated']);
    expect(run({ conditions: [schizophrenia({ verificationStatus: 'refuted' })] }).flags).toEqual([]);
  });

  test('ziconotide at 65 or over raises the confusion caution', () => {
    const older = emptyContext({ patient: { id: 'p', ageYears: 70 }, medications: [ziconotide()] });
    expect(ids(tailor(older))).toEqual(['ziconotide-age-confusion']);
    expect(run({ medications: [ziconotide()] }).flags).toEqual([]);
  });
});

describe('baclofen, existing pumps and MRI', () => {
  const intrathecal = { asNeeded: false, route: 'Intrathecal' };

  test('intrathecal baclofen raises the withdrawal warning; oral baclofen does not', () => {
    expect(ids(run({ medications: [medication('b', 'baclofen 2000 MCG/ML solution', { dosages: [intrathecal] })] }))).toEqual(['intrathecal-baclofen-withdrawal']);
    expect(ids(run({ medications: [medication('g', 'Gablofen 500 mcg/mL')] }))).toEqual(['intrathecal-baclofen-withdrawal']);
    expect(run({ medications: [medication('o', 'baclofen 10 MG Oral Tablet', { dosages: [everyHours(10, 8)] })] }).flags).toEqual([]);
  });

  test('a pump device raises existing-pump and MRI flags, naming the model for the clinician', () => {
    const synchromed = device('sm', 'SynchroMed II', { manufacturer: 'Medtronic', modelNumber: '8637-40' });
    const result = run({ devices: [synchromed] });
    expect(ids(result)).toEqual(['existing-pump', 'existing-pump-mri', 'pump-model-mri-labelling']);
    expect(flag(result, 'pump-model-mri-labelling')!.reason).toContain('model 8637-40');
    expect(ids(run({ devices: [device('sm', 'SynchroMed II')] }))).toEqual(['existing-pump', 'existing-pump-mri']);
    expect(run({ devices: [{ ...synchromed, status: 'inactive' }] }).flags).toEqual([]);
    expect(run({ devices: [device('ip', 'Insulin infusion pump', { modelNumber: 'X1' })] }).flags).toEqual([]);
  });

  test('a Prometra pump must be emptied before MRI', () => {
    expect(ids(run({ devices: [device('pr', 'Prometra II', { modelNumber: '13827' })] }))).toContain('prometra-mri-empty-pump');
  });

  test('a pump implant or refill procedure, or a pump Z-code, shows an existing pump', () => {
    expect(ids(run({ procedures: [procedure('imp', '62362', 'Pump implant')] }))).toEqual(['existing-pump', 'existing-pump-mri']);
    expect(ids(run({ procedures: [procedure('ref', '95990', 'Pump refill')] }))).toEqual(['existing-pump', 'existing-pump-mri']);
    expect(run({ procedures: [procedure('plan', '62362', 'Pump implant', 'preparation')] }).flags).toEqual([]);
    const pumpStatus = condition('z', 'Presence of implanted intrathecal pump', [coding('icd', 'Z97.8')]);
    expect(ids(run({ conditions: [pumpStatus] }))).toEqual(['existing-pump', 'existing-pump-mri']);
    expect(run({ conditions: [{ ...pumpStatus, display: 'Presence of other specified devices' }] }).flags).toEqual([]);
  });
});

describe('pain type', () => {
  const pain = condition('cps', 'Chronic pain syndrome', [coding('icd', 'G89.4')]);
  const cancer = condition('ca', 'Breast cancer', [coding('icd', 'C50.911')]);

  test('cancer codes or G89.3 mean cancer pain; chronic pain codes otherwise mean non-cancer pain', () => {
    expect(run({ conditions: [pain, cancer] })).toMatchObject({ painType: 'cancer' });
    expect(ids(run({ conditions: [pain, cancer] }))).toEqual(['cancer-pain']);
    expect(ids(run({ conditions: [condition('g893', 'Neoplasm related pain', [coding('icd', 'G89.3')])] }))).toEqual(['cancer-pain']);
    expect(run({ conditions: [pain] })).toMatchObject({ painType: 'non-cancer', flags: [{ id: 'non-cancer-pain' }] });
    expect(run({ conditions: [condition('crps', 'CRPS', [coding('snomed', '128200000')])] }).painType).toBe('non-cancer');
  });

  test('a cancer in remission does not make the pain cancer pain', () => {
    expect(ids(run({ conditions: [pain, { ...cancer, clinicalStatus: 'remission' }] }))).toEqual(['non-cancer-pain']);
  });

  test('no pain code: no pain flag', () => {
    expect(run({ conditions: [condition('ms', 'Multiple sclerosis', [coding('icd', 'G35')])] })).toMatchObject({ painType: 'unknown', flags: [] });
  });
});

describe('engine', () => {
  const many = emptyContext({
    conditions: [condition('pain', 'Chronic pain', [coding('icd', 'G89.29')]), condition('osa', 'OSA', [coding('icd', 'G47.33')])],
    medications: [
      medication('apix', 'apixaban 5 MG Oral Tablet', { codings: [coding('rxnorm', '1364445')] }),
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((id) => medication(id, `Warfarin ${id}`)),
    ],
  });

  test('flags are sorted by severity, then id, one per rule', () => {
    const result = tailor(many);
    const order = { alert: 0, caution: 1, info: 2 };
    const keys = result.flags.map((f) => [order[f.severity], f.id] as const);
    expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])));
    expect(new Set(result.flags.map((f) => f.id)).size).toBe(result.flags.length);
  });

  test('evidence lists every matching resource once; the reason names five and counts the rest', () => {
    const bleeding = flag(tailor(many), 'antithrombotic-bleeding-risk')!;
    expect(bleeding.evidence.map((e) => e.reference)).toEqual(['apix', 'a', 'b', 'c', 'd', 'e', 'f'].map((id) => `MedicationRequest/${id}`));
    expect(bleeding.reason).toContain('Warfarin d and 2 more');
  });

  test('activeHandoutFlags: patient flags not dismissed, each once, in content order', () => {
    const result = tailor(many);
    expect(activeHandoutFlags(result, [])).toEqual(['bleeding-risk', 'breathing-risk', 'non-cancer-pain']);
    expect(activeHandoutFlags(result, ['antithrombotic-bleeding-risk', 'antithrombotic-periprocedural-plan'])).toEqual(['breathing-risk', 'non-cancer-pain']);
  });

  test('a flag raised by two rules stays until both are dismissed', () => {
    const result = run({ conditions: [condition('dm', 'T2DM', [coding('icd', 'E11.9')])], medications: [medication('p', 'prednisone 5 mg')] });
    expect(activeHandoutFlags(result, ['diabetes-infection-risk'])).toEqual(['infection-risk']);
    expect(activeHandoutFlags(result, ['diabetes-infection-risk', 'immunosuppression-infection-risk'])).toEqual([]);
  });

  test('the same chart always gives the same result', () => {
    expect(tailor(many)).toEqual(tailor(many));
  });
});
