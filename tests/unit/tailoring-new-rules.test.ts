/**
 * The rules added for issue 10, one table per rule: an allergy to a drug used in pumps (highest severity, shown
 * first), sleep apnoea or lung disease with two or more other CNS depressants (one combined alert with naloxone, not
 * four cautions), an antiplatelet with a coronary stent (involve the cardiologist), a BMI of 40 or more, and the
 * spasticity indication. Also the scenario the handout and checklist follow, and the Spanish readability formulas.
 */
import type { AllergyFact, ObservationFact, PatientContext } from '../../server/chart/patient-context';
import { appliesToScenario, scenarioFromFlags, scenarioText } from '../../server/content/scenario';
import { countSpanishSyllables, fernandezHuerta, inflesz, szigrisztPazos } from '../../server/content/readability-es';
import { activeHandoutFlags, tailor } from '../../server/tailoring/engine';
import type { TailoringResult } from '../../server/tailoring/types';
import { coding, condition, emptyContext, medication } from '../support/chart-facts-builder';

const run = (overrides: Partial<PatientContext>): TailoringResult => tailor(emptyContext(overrides));
const ids = (result: TailoringResult): string[] => result.flags.map((flag) => flag.id).sort();

function allergy(id: string, display: string, fields: Partial<AllergyFact> = {}): AllergyFact {
  return { reference: `AllergyIntolerance/${id}`, display, codings: [], reactions: [], clinicalStatus: 'active', verificationStatus: 'confirmed', ...fields };
}

function bmi(value: number, unit = 'kg/m2'): ObservationFact {
  return { reference: 'Observation/bmi', code: '39156-5', display: 'Body mass index (BMI) [Ratio]', value, unit, status: 'final', effective: '2026-11-01' };
}

const osa = condition('osa', 'Obstructive sleep apnea', [coding('icd', 'G47.33')]);
const copd = condition('copd', 'COPD', [coding('icd', 'J44.1')]);
const clonazepam = medication('clz', 'clonazepam 1 MG Oral Tablet', { codings: [coding('rxnorm', '197528')] });
const gabapentin = medication('gaba', 'gabapentin 300 MG Oral Capsule', { codings: [coding('rxnorm', '310431')] });
const tramadol = medication('tram', 'tramadol hydrochloride 50 MG Oral Tablet', { codings: [coding('rxnorm', '835603')] });
const clopidogrel = medication('clop', 'clopidogrel 75 MG Oral Tablet', { ingredientCodings: [coding('rxnorm', '32968')] });

describe('an allergy or intolerance to a drug used in pumps', () => {
  test.each([
    ['morphine by RxNorm code, high criticality', allergy('m', 'Morphine', { codings: [coding('rxnorm', '7052')], criticality: 'high' })],
    ['hydromorphone by code', allergy('h', 'Hydromorphone', { codings: [coding('rxnorm', '3423')] })],
    ['fentanyl as text only', allergy('f', 'Fentanyl patch - rash')],
    ['sufentanil as text', allergy('s', 'sufentanil')],
    ['baclofen as text', allergy('b', 'Baclofen (intolerance: drowsiness)')],
    ['ziconotide by brand', allergy('z', 'Prialt')],
    ['bupivacaine', allergy('bu', 'Bupivacaine')],
    ['clonidine by code', allergy('c', 'Clonidine', { codings: [coding('rxnorm', '2599')] })],
  ])('%s raises the pump-drug allergy alert', (_name, entry) => {
    const result = run({ allergies: [entry] });
    expect(ids(result)).toEqual(['pump-drug-allergy']);
    expect(result.flags[0]).toMatchObject({ severity: 'alert', audience: 'patient', handoutFlag: 'pump-drug-allergy' });
  });

  test.each([
    ['a contrast-dye allergy', allergy('x', 'Iodinated contrast media')],
    ['a refuted morphine allergy', allergy('m', 'Morphine', { verificationStatus: 'refuted' })],
    ['an entered-in-error morphine allergy', allergy('m', 'Morphine', { verificationStatus: 'entered-in-error' })],
    ['a resolved morphine allergy', allergy('m', 'Morphine', { clinicalStatus: 'resolved' })],
    ['a codeine allergy (not a pump drug)', allergy('cod', 'Codeine', { codings: [coding('rxnorm', '2670')] })],
  ])('%s raises nothing', (_name, entry) => {
    expect(run({ allergies: [entry] }).flags).toEqual([]);
  });

  test('is shown first, before other alerts, and names the criticality', () => {
    const result = run({
      allergies: [allergy('m', 'Morphine', { criticality: 'high' })],
      medications: [clopidogrel],
      conditions: [condition('sepsis', 'Sepsis', [coding('icd', 'A41.9')])],
    });
    expect(result.flags[0]?.id).toBe('pump-drug-allergy');
    expect(result.flags[0]?.evidence[0]?.display).toBe('Morphine (high criticality)');
  });
});

describe('sleep apnoea or lung disease with two or more other CNS depressants', () => {
  test.each([
    ['OSA + benzodiazepine + gabapentinoid + opioid', [osa], [clonazepam, gabapentin, tramadol]],
    ['OSA + benzodiazepine + gabapentinoid', [osa], [clonazepam, gabapentin]],
    ['COPD + opioid + z-drug', [copd], [tramadol, medication('z', 'zolpidem 10 MG Oral Tablet')]],
  ])('%s: one combined alert, no separate cautions', (_name, conditions, medications) => {
    const result = run({ conditions, medications });
    expect(ids(result)).toEqual(['combined-cns-depressants']);
    expect(result.flags[0]).toMatchObject({ severity: 'alert', handoutFlag: 'combined-sedation' });
    expect(result.flags[0]?.reason).toMatch(/naloxone/);
    expect(result.flags[0]?.source.text).toMatch(/CDC Clinical Practice Guideline .* 2022/);
  });

  test('one CNS depressant with OSA keeps the separate breathing and sedative flags', () => {
    expect(ids(run({ conditions: [osa], medications: [clonazepam] }))).toEqual([
      'respiratory-disease-breathing-risk',
      'respiratory-monitoring',
      'sedative-breathing-risk',
      'sedative-minimise',
    ]);
  });

  test('two CNS depressants without a breathing disorder raise no combined alert', () => {
    expect(ids(run({ medications: [clonazepam, gabapentin] }))).not.toContain('combined-cns-depressants');
  });

  test('a stopped depressant does not count toward the two', () => {
    expect(ids(run({ conditions: [osa], medications: [clonazepam, { ...gabapentin, status: 'stopped' }] }))).not.toContain('combined-cns-depressants');
  });
});

describe('an antiplatelet with a coronary stent or coronary event', () => {
  test.each([
    ['a drug-eluting stent in the problem list', condition('cad', 'Coronary artery disease, drug-eluting stent placed 2025', [])],
    ['a recent acute coronary syndrome', condition('acs', 'Acute coronary syndrome', [])],
    ['a myocardial infarction', condition('mi', 'Myocardial infarction, treated', [])],
  ])('%s: involve the prescribing cardiologist', (_name, heart) => {
    const result = run({ conditions: [heart], medications: [clopidogrel] });
    expect(ids(result)).toContain('antiplatelet-coronary-stent');
    const flag = result.flags.find((f) => f.id === 'antiplatelet-coronary-stent')!;
    expect(flag.title).toMatch(/involve the prescribing cardiologist before any change/);
    expect(flag.source.id).toBe('narouze-2018');
  });

  test('an antiplatelet without a coronary history, or a stent without an antiplatelet, raises no stent alert', () => {
    expect(ids(run({ medications: [clopidogrel] }))).not.toContain('antiplatelet-coronary-stent');
    expect(ids(run({ conditions: [condition('cad', 'Coronary stent', [])] }))).toEqual([]);
  });

  test('the peri-procedural plan is titled for antiplatelets too', () => {
    const flag = run({ medications: [clopidogrel] }).flags.find((f) => f.id === 'antithrombotic-periprocedural-plan')!;
    expect(flag.title).toMatch(/anticoagulant or antiplatelet/);
  });
});

describe('a BMI of 40 or more', () => {
  test.each([
    [40, 'kg/m2', true],
    [41.2, 'kg/m2', true],
    [39.9, 'kg/m2', false],
    [45, 'lb/in2', false],
  ])('BMI %s %s → %s', (value, unit, raised) => {
    expect(ids(run({ latestBmi: bmi(value, unit) })).includes('morbid-obesity-pocket')).toBe(raised);
  });

  test('a morbid-obesity diagnosis counts too', () => {
    expect(ids(run({ conditions: [condition('ob', 'Morbid obesity', [coding('icd', 'E66.01')])] }))).toEqual(['morbid-obesity-pocket']);
  });
});

describe('the scenario: indication and procedure', () => {
  test.each([
    [[], { indication: 'non-cancer-pain', procedure: 'first-implant' }],
    [['cancer-pain'], { indication: 'cancer-pain', procedure: 'first-implant' }],
    [['baclofen-withdrawal', 'existing-pump'], { indication: 'spasticity', procedure: 'replacement' }],
    [['spasticity'], { indication: 'spasticity', procedure: 'first-implant' }],
  ])('flags %j → %j', (flags, scenario) => {
    expect(scenarioFromFlags(flags)).toEqual(scenario);
  });

  test("the clinician's choice stands over the chart's reading, dimension by dimension, and reads in words", () => {
    expect(scenarioFromFlags(['existing-pump'], { procedure: 'trial-only' })).toEqual({ indication: 'non-cancer-pain', procedure: 'trial-only' });
    expect(scenarioFromFlags(['cancer-pain'], { indication: 'spasticity', procedure: 'replacement' })).toEqual({ indication: 'spasticity', procedure: 'replacement' });
    expect(scenarioText({ indication: 'cancer-pain', procedure: 'first-implant' })).toBe('cancer pain; a first implant after a trial');
  });

  test('appliesTo matches every dimension it names', () => {
    const scenario = { indication: 'spasticity', procedure: 'replacement' } as const;
    expect(appliesToScenario(undefined, scenario)).toBe(true);
    expect(appliesToScenario({ procedure: ['replacement'] }, scenario)).toBe(true);
    expect(appliesToScenario({ indication: ['cancer-pain', 'non-cancer-pain'] }, scenario)).toBe(false);
    expect(appliesToScenario({ indication: ['spasticity'], procedure: ['first-implant'] }, scenario)).toBe(false);
  });

  test('a dismissed existing-pump flag turns the handout back into a first implant', () => {
    const result = tailor(emptyContext({ devices: [{ reference: 'Device/p', display: 'SynchroMed II', codings: [], status: 'active' }] }));
    expect(scenarioFromFlags(activeHandoutFlags(result, [])).procedure).toBe('replacement');
    expect(scenarioFromFlags(activeHandoutFlags(result, ['existing-pump'])).procedure).toBe('first-implant');
  });
});

describe('Spanish readability', () => {
  test.each([
    ['casa', 2],
    ['bomba', 2],
    ['medicamento', 5],
    ['día', 2],
    ['poeta', 3],
    ['ciudad', 2],
    ['baclofeno', 4],
    ['oír', 2],
    ['que', 1],
  ])('%s has %i syllables', (word, count) => {
    expect(countSpanishSyllables(word)).toBe(count);
  });

  test('easy Spanish scores high on Fernández-Huerta and Szigriszt-Pazos; long words and sentences score lower', () => {
    const easy = 'La bomba va bajo la piel. Un tubo fino lleva el medicamento. Su equipo la llena.';
    const hard = 'La administración intratecal continuada de opioides mediante dispositivos programables implantados subcutáneamente requiere evaluación multidisciplinaria.';
    expect(fernandezHuerta(easy)).toBeGreaterThan(80);
    expect(szigrisztPazos(easy)).toBeGreaterThan(65);
    expect(fernandezHuerta(hard)).toBeLessThan(30);
    expect(inflesz(szigrisztPazos(easy))).toMatch(/fácil/);
    expect(inflesz(szigrisztPazos(hard))).toBe('muy difícil');
  });
});
