/**
 * Oral MME per day with the CDC 2022 factors. Expected values are derived from the factors in the terminology
 * subset the app ships (never typed in twice), except where the patient README documents the total.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from 'fhir/r4';
import { buildPatientContext, type MedicationFact, type PatientContext } from '../../server/chart/patient-context';
import { oralMme } from '../../server/tailoring/mme';
import { loadTerminology } from '../../server/tailoring/terminology';
import type { OralMme } from '../../server/tailoring/types';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';
import { coding, emptyContext, everyHours, medication, strength } from '../support/chart-facts-builder';

const terminology = loadTerminology();
const subset = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../content/tailoring/terminology-subset.json'), 'utf8')) as {
  mme: { '2022': { factors: Array<{ opioid: string; factor: number; unit: string }> } };
};

/** The CDC 2022 factor for an opioid, as the subset file gives it (e.g. oxycodone 1.5 per mg/day). */
function cdcFactor(opioid: string): number {
  const found = subset.mme['2022'].factors.find((factor) => factor.opioid === opioid);
  if (!found) {
    throw new Error(`no CDC 2022 factor for ${opioid} in the subset`);
  }
  return found.factor;
}

function contextOf(file: string, patientId: string): PatientContext {
  const dir = path.resolve(__dirname, '../../fhir-resources/patients');
  const bundle = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Bundle;
  return buildPatientContext(chartReadsFromBundle(bundle, { patientId }), new Date('2026-11-25T12:00:00Z'));
}

const mmeOfPatient = (file: string, patientId: string): OralMme | undefined => oralMme(contextOf(file, patientId), terminology);

const mmeOf = (...medications: MedicationFact[]): OralMme | undefined => oralMme(emptyContext({ medications }), terminology);
const oxycodone = (fields: Partial<MedicationFact> = {}): MedicationFact =>
  medication('oxy', 'oxycodone hydrochloride 10 MG Oral Tablet', { codings: [coding('rxnorm', '1049683')], ...fields });
const morphine = (fields: Partial<MedicationFact> = {}): MedicationFact =>
  medication('mor', 'morphine sulfate 60 MG Extended Release Oral Tablet', { codings: [coding('rxnorm', '891893')], ...fields });

describe('oral MME on the synthetic patients', () => {
  test('the cancer patient: morphine ER 60 mg every 12 h + oxycodone 10 mg every 4 h as needed = 210 MME/day', () => {
    const mme = mmeOfPatient('cancer-pain-high-dose-opioids.json', 'cancer-pain-high-dose-opioids-patient')!;
    const expected = 60 * 2 * cdcFactor('morphine') + 10 * 6 * cdcFactor('oxycodone');
    expect(mme.totalPerDay).toBe(expected);
    expect(mme.totalPerDay).toBe(210);
    expect(mme.lines.map((line) => [line.ingredient, line.mgPerDay, line.factor])).toEqual([
      ['morphine', 120, cdcFactor('morphine')],
      ['oxycodone', 60, cdcFactor('oxycodone')],
    ]);
    expect(mme.notCounted).toEqual([]);
    expect(mme.source.text).toContain('2022');
  });

  test('hydrocodone dosed in {tablet} uses the strength on the contained Medication', () => {
    const mme = mmeOfPatient('medication-references.json', 'medication-references-patient')!;
    expect(mme.lines).toEqual([
      expect.objectContaining({ ingredient: 'hydrocodone', mgPerDay: 10 * 4, mmePerDay: 10 * 4 * cdcFactor('hydrocodone') }),
    ]);
  });

  test('the chart mapping keeps ingredient strengths and infusion rates', () => {
    const hydrocodone = contextOf('medication-references.json', 'medication-references-patient').medications.find((m) => m.resolution === 'contained')!;
    expect(hydrocodone.ingredientStrengths?.map((s) => [s.display, s.numerator, s.denominator])).toEqual([
      ['hydrocodone', { value: 10, unit: 'mg' }, { value: 1, unit: 'tablet' }],
      ['acetaminophen', { value: 325, unit: 'mg' }, { value: 1, unit: 'tablet' }],
    ]);
    const baclofen = contextOf('baclofen-pump.json', 'baclofen-pump-patient').medications[0];
    expect(baclofen.dosages[0].rate).toEqual({ value: 250, unit: 'mcg/day' });
  });

  test('no opioid in the chart: no MME at all', () => {
    expect(mmeOfPatient('anticoagulant.json', 'anticoagulant-patient')).toBeUndefined();
    expect(mmeOfPatient('baclofen-pump.json', 'baclofen-pump-patient')).toBeUndefined();
  });
});

describe('oral MME arithmetic', () => {
  test('as-needed orders count at their maximum, frequencyMax included', () => {
    const prn = oxycodone({ dosages: [everyHours(10, 4, { asNeeded: true })] });
    expect(mmeOf(prn)!.totalPerDay).toBe(10 * 6 * cdcFactor('oxycodone'));
    const upToTwo = oxycodone({ dosages: [everyHours(10, 4, { asNeeded: true, frequencyMax: 2, periodMax: 6 })] });
    expect(mmeOf(upToTwo)!.lines[0].mgPerDay).toBe(10 * 2 * 6);
  });

  test('several dosages of one order add up; doses in g or mcg are converted to mg', () => {
    const split = morphine({
      dosages: [everyHours(30, 24), everyHours(0.06, 24, { dose: { value: 0.06, unit: 'g' } }), everyHours(5000, 24, { dose: { value: 5000, unit: 'ug' } })],
    });
    expect(mmeOf(split)!.lines[0].mgPerDay).toBe(30 + 60 + 5);
  });

  test('the route comes from the product name when the dosage has none', () => {
    const noRoute = morphine({ dosages: [everyHours(60, 12, { route: undefined })] });
    expect(mmeOf(noRoute)!.totalPerDay).toBe(120 * cdcFactor('morphine'));
  });

  test('a text-only opioid is identified by name', () => {
    const textOnly = medication('t', 'Oxycodone 5 mg tablet', { dosages: [everyHours(5, 6)] });
    expect(mmeOf(textOnly)!.lines[0]).toMatchObject({ ingredient: 'oxycodone', mgPerDay: 20 });
  });

  test('a fentanyl patch uses the per-mcg/hr factor', () => {
    const fentanyl = coding('rxnorm', '4337', 'fentanyl');
    const patch = medication('fen', 'fentanyl 25 mcg/hr transdermal patch', {
      ingredientCodings: [fentanyl],
      ingredientStrengths: [{ codings: [fentanyl], display: 'fentanyl', numerator: { value: 0.025, unit: 'mg' }, denominator: { value: 1, unit: 'h' } }],
      dosages: [{ dose: { value: 1, unit: 'patch' }, frequency: 1, period: 72, periodUnit: 'h', asNeeded: false, route: 'Transdermal' }],
    });
    const line = mmeOf(patch)!.lines[0];
    expect(line.basis).toEqual({ value: 25, unit: 'mcg/hr' });
    expect(line.mmePerDay).toBe(25 * cdcFactor('fentanyl transdermal'));
    expect(line.mgPerDay).toBe(0.6);
  });
});

describe('what is not counted, and why', () => {
  const why = (mme: OralMme | undefined): string[] => mme!.notCounted.map((item) => item.why);

  test('intrathecal doses are never converted, even in mg', () => {
    const it = morphine({ display: 'morphine sulfate 25 MG/ML (Infumorph)', dosages: [everyHours(1, 24, { route: 'Intrathecal' })] });
    expect(mmeOf(it)).toMatchObject({ totalPerDay: 0, lines: [] });
    expect(why(mmeOf(it))[0]).toMatch(/intrathecal/);
  });

  test('a non-oral, non-transdermal route is not counted', () => {
    const iv = morphine({ display: 'morphine 4 mg injection', dosages: [everyHours(4, 4, { route: 'Intravenous' })] });
    expect(why(mmeOf(iv))).toEqual(['route "Intravenous" is not oral or transdermal']);
  });

  test('an opioid with no CDC 2022 factor is not counted', () => {
    const meperidine = medication('mep', 'meperidine 50 mg tablet', { codings: [coding('rxnorm', '6754')], dosages: [everyHours(50, 4)] });
    expect(why(mmeOf(meperidine))).toEqual(['no CDC 2022 conversion factor for oral meperidine']);
    const buprenorphine = medication('bup', 'buprenorphine 2 mg', { codings: [coding('rxnorm', '1819')], dosages: [everyHours(2, 24, { route: 'Sublingual' })] });
    expect(why(mmeOf(buprenorphine))[0]).toMatch(/not oral/);
  });

  test('a dose in tablets without a strength, or no structured dose or timing, is not counted', () => {
    const tablets = oxycodone({ dosages: [everyHours(1, 6, { dose: { value: 1, unit: '{tablet}' } })] });
    expect(why(mmeOf(tablets))).toEqual(['dose in "{tablet}" with no usable oxycodone strength']);
    const withStrength = oxycodone({
      dosages: tablets.dosages,
      ingredientStrengths: [strength(coding('rxnorm', '7804', 'oxycodone'), 10, '{tablet}')],
    });
    expect(mmeOf(withStrength)!.lines[0].mgPerDay).toBe(40);
    expect(why(mmeOf(oxycodone({ dosages: [] })))).toEqual(['no structured dose']);
    expect(why(mmeOf(oxycodone({ dosages: [{ asNeeded: false, route: 'Oral', text: 'as directed' }] })))).toEqual(['no structured dose']);
    expect(why(mmeOf(oxycodone({ dosages: [everyHours(10, 4, { period: undefined })] })))).toEqual(['no structured dosing frequency']);
  });

  test('stopped, completed and draft opioids are left out entirely', () => {
    for (const status of ['stopped', 'completed', 'entered-in-error', 'draft']) {
      expect(mmeOf(oxycodone({ status, dosages: [everyHours(10, 4)] }))).toBeUndefined();
    }
  });
});
