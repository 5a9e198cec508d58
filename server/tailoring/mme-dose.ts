/**
 * Dose arithmetic for the oral MME: how much of one ingredient a structured FHIR Dosage gives per administration,
 * per hour (patches) and how many administrations a day it allows at most. Each function answers `undefined`
 * rather than guessing; the caller reports why the order was not counted.
 */
import type { IngredientStrength, MedicationFact, StructuredDosage } from '../chart/patient-context';
import { mentionsAny } from './chart-facts';

/** Units as EHRs spell them (UCUM codes, `{tablet}` annotations, plain words) reduced to one spelling. */
const UNIT_ALIASES: Readonly<Record<string, string>> = {
  mg: 'mg', milligram: 'mg', milligrams: 'mg',
  g: 'g', gram: 'g', grams: 'g',
  mcg: 'mcg', ug: 'mcg', 'µg': 'mcg', microgram: 'mcg', micrograms: 'mcg',
  tablet: 'tablet', tablets: 'tablet', tab: 'tablet', tabs: 'tablet',
  capsule: 'capsule', capsules: 'capsule', cap: 'capsule', caps: 'capsule',
  patch: 'patch', patches: 'patch',
  ml: 'ml', milliliter: 'ml', milliliters: 'ml', millilitre: 'ml', millilitres: 'ml',
  h: 'h', hr: 'h', hour: 'h', hours: 'h',
};
const COUNT_UNITS = new Set(['tablet', 'capsule', 'patch']);
const MG_PER: Readonly<Record<string, number>> = { mg: 1, g: 1000, mcg: 0.001 };

/** `{tablet}` → `tablet`, `ug/h` → `mcg/h`; undefined when the unit is missing. */
export function canonicalUnit(unit: string | undefined): string | undefined {
  if (unit === undefined) {
    return undefined;
  }
  const parts = unit.toLowerCase().replace(/[{}]/g, '').split('/').map((part) => part.trim());
  return parts.map((part) => UNIT_ALIASES[part] ?? part).join('/');
}

/** A mass in mg, or undefined when the unit is not a mass. */
export function massInMg(value: number, unit: string | undefined): number | undefined {
  const factor = MG_PER[canonicalUnit(unit) ?? ''];
  return factor === undefined ? undefined : value * factor;
}

/** The strength of the named ingredient (matched by RxNorm ingredient code, else by name). */
export function strengthOf(medication: MedicationFact, ingredientCode: string, ingredientName: string): IngredientStrength | undefined {
  const strengths = medication.ingredientStrengths ?? [];
  return (
    strengths.find((s) => s.codings.some((coding) => coding.knownSystem === 'rxnorm' && coding.normalized === ingredientCode)) ??
    strengths.find((s) => mentionsAny([s.display ?? '', ...s.codings.map((coding) => coding.display ?? '')], [ingredientName]))
  );
}

/**
 * mg of the ingredient in one administration: a dose in mass units as given, a dose in tablets, capsules or mL
 * through the ingredient's strength (numerator per denominator, e.g. 10 mg per 1 tablet).
 */
export function mgPerAdministration(dosage: StructuredDosage, strength: IngredientStrength | undefined): number | undefined {
  const dose = dosage.dose;
  if (dose === undefined) {
    return undefined;
  }
  const direct = massInMg(dose.value, dose.unit);
  if (direct !== undefined || strength === undefined) {
    return direct;
  }
  const perUnit = massPerUnit(strength, canonicalUnit(dose.unit));
  return perUnit === undefined ? undefined : dose.value * perUnit;
}

/** mg per one `doseUnit` of the product, when the strength's denominator is that unit (or absent for a count unit). */
function massPerUnit(strength: IngredientStrength, doseUnit: string | undefined): number | undefined {
  const numeratorMg = massInMg(strength.numerator.value, strength.numerator.unit);
  const denominatorUnit = canonicalUnit(strength.denominator?.unit);
  const denominatorValue = strength.denominator?.value ?? 1;
  const sameUnit = denominatorUnit === undefined ? COUNT_UNITS.has(doseUnit ?? '') : denominatorUnit === doseUnit;
  return numeratorMg === undefined || !sameUnit || denominatorValue <= 0 ? undefined : numeratorMg / denominatorValue;
}

/** Per day, for each `timing.repeat.periodUnit` (https://hl7.org/fhir/R4/valueset-units-of-time.html). */
const PERIODS_PER_DAY: Readonly<Record<string, number>> = { s: 86400, min: 1440, h: 24, d: 1, wk: 1 / 7, mo: 1 / 30, a: 1 / 365 };

/**
 * The most administrations a day the timing allows: `frequencyMax` if given, else `frequency` (once when absent,
 * as FHIR Timing reads), over the shortest `period`. "Every 4 hours as needed" counts as 6 a day: an as-needed
 * order is counted at its maximum, as the CDC calculation does for risk estimation.
 */
export function administrationsPerDay(dosage: StructuredDosage): number | undefined {
  const perDay = PERIODS_PER_DAY[dosage.periodUnit ?? ''];
  if (perDay === undefined || dosage.period === undefined) {
    return undefined;
  }
  return ((dosage.frequencyMax ?? dosage.frequency ?? 1) * perDay) / dosage.period;
}

/**
 * A fentanyl patch's delivery rate in mcg/hr: a dose or rate written in mcg/h, or a number of patches times the
 * patch strength (e.g. 0.025 mg/h or 25 mcg/h per patch).
 */
export function mcgPerHour(dosage: StructuredDosage, strength: IngredientStrength | undefined): number | undefined {
  for (const quantity of [dosage.dose, dosage.rate]) {
    const rate = quantity === undefined ? undefined : perHourInMcg(quantity.value, quantity.unit);
    if (rate !== undefined) {
      return rate;
    }
  }
  const dose = dosage.dose;
  if (dose === undefined || strength === undefined || canonicalUnit(dose.unit) !== 'patch') {
    return undefined;
  }
  const unit = `${strength.numerator.unit ?? ''}/${strength.denominator?.unit ?? ''}`;
  const perPatch = perHourInMcg(strength.numerator.value / (strength.denominator?.value ?? 1), unit);
  return perPatch === undefined ? undefined : dose.value * perPatch;
}

function perHourInMcg(value: number, unit: string | undefined): number | undefined {
  const [mass, time, ...rest] = (canonicalUnit(unit) ?? '').split('/');
  const mg = massInMg(value, mass);
  return mg === undefined || time !== 'h' || rest.length > 0 ? undefined : mg * 1000;
}
