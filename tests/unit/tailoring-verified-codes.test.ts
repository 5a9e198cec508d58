/**
 * The codes and exclusions the bleeding, steroid and existing-pump rules rest on, pinned to the project's
 * terminology research. The tables below were written by hand from the research notes (verified entries, with the
 * display recorded there), not read from the shipped rules or subset: a code changed or dropped in
 * content/tailoring/rules.json or content/tailoring/terminology-subset.json fails here, and so does an exclusion
 * (inhaled or other non-systemic steroids, insulin pumps) that stops excluding.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MedicationFact, PatientContext } from '../../server/chart/patient-context';
import { tailor } from '../../server/tailoring/engine';
import type { TailoringResult } from '../../server/tailoring/types';
import { coding, condition, device, emptyContext, everyHours, medication } from '../support/chart-facts-builder';

const ROOT = path.resolve(__dirname, '../..');
const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

interface Entry {
  system: string;
  code: string;
  display: string;
  tty?: string;
  verified: boolean;
}
interface Group {
  prefixes: string[];
  codes: Entry[];
}
interface TerminologyFile {
  medicationClasses: Record<string, Entry[]>;
  conditions: Record<string, Group>;
}

const readJson = <T>(relative: string): T => JSON.parse(fs.readFileSync(path.join(ROOT, relative), 'utf8')) as T;
const verifiedCopy = readJson<TerminologyFile>('content/terminology/terminology-verified.json');
const shippedSubset = readJson<TerminologyFile>('content/tailoring/terminology-subset.json');

const run = (overrides: Partial<PatientContext>): TailoringResult => tailor(emptyContext(overrides));
const ids = (result: TailoringResult): string[] => result.flags.map((flag) => flag.id).sort();

/** Research: conditions › coagulopathyOrThrombocytopenia (verified SNOMED CT codes). */
const BLEEDING_SNOMED: Record<string, string> = {
  '64779008': 'Blood coagulation disorder (disorder)',
  '302215000': 'Thrombocytopenic disorder (disorder)',
};

/** Research: the same group's verified ICD-10-CM codes (prefixes D65–D69). */
const BLEEDING_ICD10: Record<string, string> = {
  D65: 'Disseminated intravascular coagulation [defibrination syndrome]',
  D66: 'Hereditary factor VIII deficiency',
  D67: 'Hereditary factor IX deficiency',
  'D68.9': 'Coagulation defect, unspecified',
  'D69.6': 'Thrombocytopenia, unspecified',
};

/** Research: medicationClasses › systemicCorticosteroid, the verified RxNorm ingredients (TTY IN). */
const SYSTEMIC_STEROID_INGREDIENTS: Record<string, string> = {
  '8640': 'prednisone',
  '8638': 'prednisolone',
  '6902': 'methylprednisolone',
  '3264': 'dexamethasone',
  '5492': 'hydrocortisone',
};

/**
 * Research: conditions › implantedPumpStatus. No ICD-10-CM code is specific to an intrathecal pump; these are the
 * verified status codes. Z96.41 is insulin pump only and must not be used.
 */
const PUMP_STATUS_PREFIXES = ['Z97.8', 'Z96.89', 'Z45.49'];

function findEntry(entries: Entry[], system: string, code: string): Entry | undefined {
  return entries.find((entry) => entry.system === system && entry.code === code);
}

describe('bleeding disorder codes', () => {
  const copyGroup = verifiedCopy.conditions.coagulopathyOrThrombocytopenia;
  const subsetGroup = shippedSubset.conditions.coagulopathyOrThrombocytopenia;

  test.each(Object.entries(BLEEDING_SNOMED))('SNOMED CT %s (%s) is verified, shipped, and raises the bleeding-disorder caution', (code, display) => {
    expect(findEntry(copyGroup.codes, SNOMED, code)).toMatchObject({ display, verified: true });
    expect(findEntry(subsetGroup.codes, SNOMED, code)).toMatchObject({ display, verified: true });
    const result = run({ conditions: [condition('bd', display, [coding('snomed', code)])] });
    expect(ids(result)).toEqual(['bleeding-disorder']);
    expect(result.flags[0]).toMatchObject({ audience: 'clinician', evidence: [{ reference: 'Condition/bd' }] });
  });

  test('the shipped subset lists exactly the verified SNOMED CT bleeding codes', () => {
    const shipped = subsetGroup.codes.filter((entry) => entry.system === SNOMED).map((entry) => entry.code).sort();
    expect(shipped).toEqual(Object.keys(BLEEDING_SNOMED).sort());
  });

  test.each(Object.entries(BLEEDING_ICD10))('ICD-10-CM %s (%s) is verified and raises the bleeding-disorder caution', (code, display) => {
    expect(findEntry(copyGroup.codes, ICD10, code)).toMatchObject({ display, verified: true });
    expect(ids(run({ conditions: [condition('bd', display, [coding('icd', code)])] }))).toEqual(['bleeding-disorder']);
  });

  test('a bleeding code on a refuted or resolved diagnosis raises nothing', () => {
    for (const status of [{ verificationStatus: 'refuted' }, { clinicalStatus: 'resolved' }]) {
      expect(run({ conditions: [condition('bd', 'Blood coagulation disorder', [coding('snomed', '64779008')], status)] }).flags).toEqual([]);
    }
  });
});

describe('steroids: systemic ones raise the infection flag, inhaled and other local ones do not', () => {
  const steroid = (ingredient: string, name: string, route: string): MedicationFact =>
    medication(`steroid-${ingredient}-${route}`, `${name} (${route})`, {
      ingredientCodings: [coding('rxnorm', ingredient, name)],
      dosages: [{ ...everyHours(5, 24), route }],
    });

  test.each(Object.entries(SYSTEMIC_STEROID_INGREDIENTS))('RxNorm %s (%s) is a verified systemic corticosteroid ingredient and, by mouth, raises the flag', (code, name) => {
    expect(findEntry(verifiedCopy.medicationClasses.systemicCorticosteroid, RXNORM, code)).toMatchObject({ display: name, tty: 'IN', verified: true });
    expect(findEntry(shippedSubset.medicationClasses.systemicCorticosteroid, RXNORM, code)).toMatchObject({ display: name, tty: 'IN' });
    expect(ids(run({ medications: [steroid(code, name, 'Oral')] }))).toEqual(['immunosuppression-infection-risk']);
  });

  test('a fluticasone inhaler does not raise the steroid/infection flag', () => {
    const inhaler = medication('flu', 'fluticasone propionate 110 MCG/ACTUAT Metered Dose Inhaler, 2 puffs twice daily', {
      dosages: [{ asNeeded: false, route: 'Inhalation' }],
    });
    expect(run({ medications: [inhaler] }).flags).toEqual([]);
  });

  test.each(['Inhalation', 'Inhaled', 'Nasal', 'Ophthalmic', 'Otic', 'Topical', 'Cutaneous'])(
    'a systemic-class steroid given by the %s route does not raise the flag',
    (route) => {
      for (const [code, name] of Object.entries(SYSTEMIC_STEROID_INGREDIENTS)) {
        expect(`${name} ${route}: ${ids(run({ medications: [steroid(code, name, route)] })).join(',')}`).toBe(`${name} ${route}: `);
      }
    },
  );

  test('an inhaled steroid beside a systemic one: only the systemic one is evidence', () => {
    const inhaled = steroid('3264', 'dexamethasone', 'Inhalation');
    const oral = steroid('8640', 'prednisone', 'Oral');
    const result = run({ medications: [inhaled, oral] });
    expect(ids(result)).toEqual(['immunosuppression-infection-risk']);
    expect(result.flags[0].evidence.map((item) => item.reference)).toEqual([oral.reference]);
  });
});

describe('insulin pumps are not intrathecal pumps', () => {
  const copyGroup = verifiedCopy.conditions.implantedPumpStatus;

  test('the pump-status codes are the verified ones, and insulin-pump status is not among them', () => {
    expect([...copyGroup.prefixes].sort()).toEqual([...PUMP_STATUS_PREFIXES].sort());
    expect([...shippedSubset.conditions.implantedPumpStatus.prefixes].sort()).toEqual([...PUMP_STATUS_PREFIXES].sort());
    expect(findEntry(copyGroup.codes, ICD10, 'Z96.41')).toBeUndefined();
  });

  test('insulin-pump status (Z96.41) does not show an existing pump', () => {
    const status = condition('z9641', 'Presence of insulin pump (external) (internal)', [coding('icd', 'Z96.41')]);
    expect(run({ conditions: [status] }).flags).toEqual([]);
  });

  test('a device record that says insulin raises no pump or MRI flag, even when it mentions an intrathecal pump', () => {
    const insulinPump = device('ip', 'Implanted insulin pump (intraperitoneal); intrathecal pump explanted 2019', {
      manufacturer: 'Medtronic',
      modelNumber: '2007D',
    });
    expect(run({ devices: [insulinPump] }).flags).toEqual([]);
    const intrathecalPump = device('it', 'Implanted intrathecal drug pump', { manufacturer: 'Medtronic', modelNumber: '8637-20' });
    expect(ids(run({ devices: [intrathecalPump] }))).toEqual(['existing-pump', 'existing-pump-mri', 'pump-model-mri-labelling']);
  });
});
