/**
 * Oral MME per day with the CDC 2022 factors. Every expected number is worked out by hand from the CDC Clinical
 * Practice Guideline for Prescribing Opioids for Pain (2022), table of MME conversion factors, as recorded verified in
 * the project's research notes: the arithmetic is in a comment beside each literal. Nothing is read back from the
 * factors the app ships, so a changed factor in the shipped terminology or in the code fails here.
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

/**
 * CDC 2022 MME conversion factors (MMWR Recomm Rep 2022;71(No. RR-3)), per mg/day except fentanyl (per mcg/hr),
 * with the RxNorm ingredient code. Methadone has a single factor in 2022 (the 2016 dose tiers 4/8/10/12 are gone);
 * buprenorphine is not in the table.
 */
const CDC_2022: ReadonlyArray<[opioid: string, rxnormIngredient: string, factor: number, unit: 'mg/day' | 'mcg/hr']> = [
  ['codeine', '2670', 0.15, 'mg/day'],
  ['fentanyl transdermal', '4337', 2.4, 'mcg/hr'],
  ['hydrocodone', '5489', 1, 'mg/day'],
  ['hydromorphone', '3423', 5, 'mg/day'],
  ['methadone', '6813', 4.7, 'mg/day'],
  ['morphine', '7052', 1, 'mg/day'],
  ['oxycodone', '7804', 1.5, 'mg/day'],
  ['oxymorphone', '7814', 3, 'mg/day'],
  ['tapentadol', '787390', 0.4, 'mg/day'],
  ['tramadol', '10689', 0.2, 'mg/day'],
];

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
    // morphine 60 mg × 2/day × 1 = 120; oxycodone 10 mg × 6/day × 1.5 = 90; 120 + 90 = 210
    expect(mme.totalPerDay).toBe(210);
    expect(mme.lines.map((line) => [line.ingredient, line.mgPerDay, line.factor, line.mmePerDay])).toEqual([
      ['morphine', 120, 1, 120],
      ['oxycodone', 60, 1.5, 90],
    ]);
    expect(mme.notCounted).toEqual([]);
    expect(mme.source.text).toContain('2022');
  });

  test('hydrocodone dosed in {tablet} uses the strength on the contained Medication', () => {
    const mme = mmeOfPatient('medication-references.json', 'medication-references-patient')!;
    expect(mme.lines).toEqual([
      // hydrocodone 10 mg × 4/day × 1 = 40
      expect.objectContaining({ ingredient: 'hydrocodone', mgPerDay: 40, factor: 1, mmePerDay: 40 }),
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
    expect(mmeOf(prn)!.totalPerDay).toBe(90); // oxycodone 10 mg × 6/day (every 4 h) × 1.5 = 90
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
    expect(mmeOf(noRoute)!.totalPerDay).toBe(120); // morphine 60 mg × 2/day × 1 = 120
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
    expect(line.factor).toBe(2.4);
    expect(line.mmePerDay).toBe(60); // fentanyl 25 mcg/hr × 2.4 = 60
    expect(line.mgPerDay).toBe(0.6);
  });
});

describe('CDC 2022 factors, one opioid at a time', () => {
  const coded = (name: string, code: string, mg: number, hours: number): MedicationFact =>
    medication(`${name}-${mg}-${hours}`, `${name} ${mg} mg by mouth every ${hours} h`, {
      ingredientCodings: [coding('rxnorm', code, name)],
      dosages: [everyHours(mg, hours)],
    });
  const totalOf = (name: string, code: string, mg: number, hours: number): number => mmeOf(coded(name, code, mg, hours))!.totalPerDay;

  test.each([
    // [opioid, RxNorm IN, mg per dose, every N hours, MME/day worked by hand]
    ['codeine', '2670', 30, 6, 18], // 30 mg × 4/day × 0.15 = 18
    ['hydrocodone', '5489', 10, 6, 40], // 10 mg × 4/day × 1 = 40
    ['hydromorphone', '3423', 4, 6, 80], // 4 mg × 4/day × 5 = 80
    ['methadone', '6813', 10, 8, 141], // 10 mg × 3/day × 4.7 = 141
    ['morphine', '7052', 30, 12, 60], // 30 mg × 2/day × 1 = 60
    ['oxycodone', '7804', 5, 6, 30], // 5 mg × 4/day × 1.5 = 30
    ['oxymorphone', '7814', 10, 12, 60], // 10 mg × 2/day × 3 = 60
    ['tapentadol', '787390', 100, 12, 80], // 100 mg × 2/day × 0.4 = 80
    ['tramadol', '10689', 50, 6, 40], // 50 mg × 4/day × 0.2 = 40
  ] as const)('%s (RxNorm %s) %d mg every %d h = %d MME/day', (name, code, mg, hours, expected) => {
    expect(totalOf(name, code, mg, hours)).toBe(expected);
  });

  test('methadone has one factor at every dose (no 2016 dose tiers)', () => {
    expect(totalOf('methadone', '6813', 5, 12)).toBe(47); // 5 mg × 2/day = 10 mg/day × 4.7 = 47 (2016 tier: × 4 = 40)
    expect(totalOf('methadone', '6813', 20, 12)).toBe(188); // 20 mg × 2/day = 40 mg/day × 4.7 = 188 (2016 tier: × 8 = 320)
    expect(totalOf('methadone', '6813', 50, 12)).toBe(470); // 50 mg × 2/day = 100 mg/day × 4.7 = 470 (2016 tier: × 12 = 1200)
    expect(mmeOf(coded('methadone', '6813', 10, 8))!.lines[0]).toMatchObject({ ingredient: 'methadone', mgPerDay: 30, factor: 4.7, mmePerDay: 141 });
  });

  test('a methadone product code (Oral Tablet) is counted at 4.7', () => {
    const tablet = medication('mtd', 'methadone hydrochloride 10 MG Oral Tablet', {
      codings: [coding('rxnorm', '864706')],
      dosages: [everyHours(10, 12)],
    });
    expect(mmeOf(tablet)!.totalPerDay).toBe(94); // 10 mg × 2/day × 4.7 = 94
  });

  test('fentanyl patches: 2.4 per mcg/hr, whatever the patch change interval', () => {
    const fentanyl = coding('rxnorm', '4337', 'fentanyl');
    const patch = (id: string, mcgPerHour: number, changeEveryHours: number): MedicationFact =>
      medication(id, `fentanyl ${mcgPerHour} mcg/hr transdermal patch`, {
        ingredientCodings: [fentanyl],
        ingredientStrengths: [{ codings: [fentanyl], display: 'fentanyl', numerator: { value: mcgPerHour / 1000, unit: 'mg' }, denominator: { value: 1, unit: 'h' } }],
        dosages: [{ dose: { value: 1, unit: 'patch' }, frequency: 1, period: changeEveryHours, periodUnit: 'h', asNeeded: false, route: 'Transdermal' }],
      });
    expect(mmeOf(patch('f12', 12, 72))!.totalPerDay).toBe(28.8); // 12 mcg/hr × 2.4 = 28.8
    expect(mmeOf(patch('f50', 50, 48))!.totalPerDay).toBe(120); // 50 mcg/hr × 2.4 = 120
    expect(mmeOf(patch('f100', 100, 72))!.totalPerDay).toBe(240); // 100 mcg/hr × 2.4 = 240
    // Two patches worn together: (50 + 25) mcg/hr × 2.4 = 180
    expect(mmeOf(patch('f50', 50, 72), patch('f25', 25, 72))!.totalPerDay).toBe(180);
    // Two 25 mcg/hr patches on one order: 2 × 25 mcg/hr × 2.4 = 120
    const twoPatches = patch('f25x2', 25, 72);
    twoPatches.dosages = [{ ...twoPatches.dosages[0], dose: { value: 2, unit: 'patch' } }];
    expect(mmeOf(twoPatches)!.lines[0]).toMatchObject({ basis: { value: 50, unit: 'mcg/hr' }, mmePerDay: 120 });
  });

  test('methadone with a fentanyl patch adds up across opioids', () => {
    const fentanyl = coding('rxnorm', '4337', 'fentanyl');
    const patch = medication('fen', 'fentanyl 25 mcg/hr transdermal patch', {
      ingredientCodings: [fentanyl],
      dosages: [{ dose: { value: 25, unit: 'mcg/h' }, frequency: 1, period: 72, periodUnit: 'h', asNeeded: false, route: 'Transdermal' }],
    });
    // methadone 10 mg × 3/day × 4.7 = 141; fentanyl 25 mcg/hr × 2.4 = 60; 141 + 60 = 201
    expect(mmeOf(coded('methadone', '6813', 10, 8), patch)!.totalPerDay).toBe(201);
  });

  test('the table above is what the research notes record as verified for 2022', () => {
    const research = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../content/terminology/terminology-verified.json'), 'utf8')) as {
      mme: { '2022': { factors: Array<{ opioid: string; rxnormIngredient: string; factor: number; unit: string; verified: boolean }> } };
    };
    const verified = research.mme['2022'].factors.filter((f) => f.verified).map((f) => [f.opioid, f.rxnormIngredient, f.factor, f.unit]);
    expect([...verified].sort()).toEqual(CDC_2022.map((row) => [...row]).sort());
  });

  test('the shipped factors are exactly the CDC 2022 table', () => {
    const shipped = terminology.mme.factors.map((f) => [f.opioid, f.rxnormIngredient, f.factor, f.unit]);
    expect([...shipped].sort()).toEqual(CDC_2022.map((row) => [...row]).sort());
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
