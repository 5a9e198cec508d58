/**
 * Oral morphine milligram equivalents per day (clinician only), with the CDC 2022 conversion factors from the
 * terminology subset. MME estimates overdose risk from systemic opioids; it is never a conversion between opioids
 * and never applies to intrathecal doses (CDC 2022 cautions; terminology research, "Matching guidance" 4).
 *
 * Counted: current opioid orders and statements taken by mouth, or fentanyl patches, with a structured dose and
 * timing. Everything else is listed in `notCounted` with the reason, so the clinician sees what the total leaves out.
 */
import type { MedicationFact, PatientContext } from '../chart/patient-context';
import { medicationCounts, medicationWords, mentionsAny, routeWords } from './chart-facts';
import { classIndex, isInClass } from './matchers';
import { administrationsPerDay, mcgPerHour, mgPerAdministration, strengthOf } from './mme-dose';
import type { MedicationClassIndex, MmeFactor, Terminology } from './terminology';
import type { FlagSource, MmeLine, OralMme } from './types';

const NEURAXIAL = ['intrathecal', 'epidural', 'intraspinal', 'neuraxial', 'subarachnoid', 'intraventricular'];
const ORAL = ['oral', 'orally', 'by mouth', 'po', 'per os'];
const TRANSDERMAL = ['transdermal', 'patch'];

type RouteKind = 'oral' | 'transdermal' | 'neuraxial' | 'other';
type Outcome = { line: MmeLine } | { why: string };

/** The MME, or undefined when the chart lists no current opioid at all. */
export function oralMme(context: PatientContext, terminology: Terminology): OralMme | undefined {
  const opioids = classIndex('opioid', terminology);
  const orders = context.medications.filter((medication) => medicationCounts(medication, false) && isInClass(medication, opioids));
  if (orders.length === 0) {
    return undefined;
  }
  const outcomes = orders.map((medication) => ({ medication, outcome: lineOf(medication, opioids, terminology) }));
  const lines = outcomes.flatMap(({ outcome }) => ('line' in outcome ? [outcome.line] : []));
  return {
    totalPerDay: round(lines.reduce((sum, line) => sum + line.mmePerDay, 0)),
    lines,
    notCounted: outcomes.flatMap(({ medication, outcome }) =>
      'why' in outcome ? [{ reference: medication.reference, display: medication.display, why: outcome.why }] : [],
    ),
    source: mmeSource(terminology),
  };
}

export function mmeSource(terminology: Terminology): FlagSource {
  return { id: 'cdc-2022-opioid-guideline', text: terminology.mme.title, url: 'https://doi.org/10.15585/mmwr.rr7103a1' };
}

function lineOf(medication: MedicationFact, opioids: MedicationClassIndex, terminology: Terminology): Outcome {
  const route = routeOf(medication);
  if (route.kind === 'neuraxial') {
    return { why: 'intrathecal or epidural dose: the CDC factors apply to oral and transdermal opioids only, never to intrathecal doses' };
  }
  if (route.kind === 'other') {
    return { why: route.text === undefined ? 'no route recorded' : `route "${route.text}" is not oral or transdermal` };
  }
  const ingredients = opioidIngredients(medication, opioids);
  if (ingredients.length !== 1) {
    return { why: ingredients.length === 0 ? 'the opioid ingredient could not be identified' : 'more than one opioid ingredient' };
  }
  const [name, code] = ingredients[0] ?? ['', ''];
  const unit = route.kind === 'transdermal' ? 'mcg/hr' : 'mg/day';
  const factor = terminology.mme.factors.find((candidate) => candidate.rxnormIngredient === code && candidate.unit === unit);
  if (factor === undefined) {
    return { why: `no CDC 2022 conversion factor for ${route.kind} ${name}` };
  }
  return route.kind === 'transdermal' ? patchLine(medication, name, factor) : oralLine(medication, name, factor);
}

function oralLine(medication: MedicationFact, name: string, factor: MmeFactor): Outcome {
  if (medication.dosages.length === 0) {
    return { why: 'no structured dose' };
  }
  const strength = strengthOf(medication, factor.rxnormIngredient, name);
  let mgPerDay = 0;
  for (const dosage of medication.dosages) {
    const mg = mgPerAdministration(dosage, strength);
    const times = administrationsPerDay(dosage);
    if (mg === undefined) {
      return { why: dosage.dose === undefined ? 'no structured dose' : `dose in "${dosage.dose.unit ?? 'no unit'}" with no usable ${name} strength` };
    }
    if (times === undefined) {
      return { why: 'no structured dosing frequency' };
    }
    mgPerDay += mg * times;
  }
  return { line: line(medication, name, round(mgPerDay), { value: round(mgPerDay), unit: 'mg/day' }, factor) };
}

function patchLine(medication: MedicationFact, name: string, factor: MmeFactor): Outcome {
  const strength = strengthOf(medication, factor.rxnormIngredient, name);
  const rates = medication.dosages.map((dosage) => mcgPerHour(dosage, strength));
  if (rates.length === 0 || rates.some((rate) => rate === undefined)) {
    return { why: 'no patch strength in mcg/hr' };
  }
  const perHour = rates.reduce<number>((sum, rate) => sum + (rate ?? 0), 0);
  return { line: line(medication, name, round((perHour * 24) / 1000), { value: round(perHour), unit: 'mcg/hr' }, factor) };
}

function line(medication: MedicationFact, ingredient: string, mgPerDay: number, basis: MmeLine['basis'], factor: MmeFactor): MmeLine {
  return {
    reference: medication.reference,
    display: medication.display,
    ingredient,
    mgPerDay,
    basis,
    factor: factor.factor,
    mmePerDay: round(basis.value * factor.factor),
  };
}

/**
 * The route as written on the dosage; when none is written, the dose form in the product name ("… Oral Tablet",
 * "… Transdermal System"), which RxNorm product names always carry.
 */
function routeOf(medication: MedicationFact): { kind: RouteKind; text?: string } {
  const written = routeWords(medication).filter((word) => word.trim() !== '');
  const words = written.length > 0 ? written : medicationWords(medication);
  if (mentionsAny(words, NEURAXIAL)) {
    return { kind: 'neuraxial' };
  }
  if (mentionsAny(words, TRANSDERMAL)) {
    return { kind: 'transdermal' };
  }
  if (mentionsAny(words, ORAL)) {
    return { kind: 'oral' };
  }
  return { kind: 'other', text: written[0] };
}

/** [name, RxNorm IN code] of each opioid ingredient: from ingredient codes, product codes, or (no code at all) the name. */
function opioidIngredients(medication: MedicationFact, opioids: MedicationClassIndex): Array<[string, string]> {
  const codes = [...medication.ingredientCodings, ...medication.codings]
    .filter((coding) => coding.knownSystem === 'rxnorm')
    .map((coding) => coding.normalized ?? '');
  const names = new Set<string>();
  for (const code of codes) {
    const ingredient = [...opioids.ingredientCodes].find(([, inCode]) => inCode === code)?.[0] ?? opioids.ingredientOfProduct.get(code);
    ingredient?.split(' + ').forEach((part) => names.add(part));
  }
  if (codes.length === 0) {
    [...opioids.ingredientCodes.keys()].filter((name) => mentionsAny(medicationWords(medication), [name])).forEach((name) => names.add(name));
  }
  return [...names].flatMap((name): Array<[string, string]> => {
    const code = opioids.ingredientCodes.get(name);
    return code === undefined ? [] : [[name, code]];
  });
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
