/**
 * Evaluates the declarative matchers of `rules.json` over a PatientContext. Each matcher answers the chart facts it
 * rests on (as evidence); no evidence means no match. Pure: same context, same rules, same answer.
 */
import type { CodingFact } from '../chart/chart-codings';
import { normaliseCode } from '../chart/chart-codings';
import type { AllergyFact, ConditionFact, MedicationFact, PatientContext } from '../chart/patient-context';
import { capText, DISPLAY_MAX } from '../clean-text';
import { AppError } from '../errors';
import {
  conditionCounts,
  conditionEvidence,
  conditionWords,
  deviceCounts,
  deviceEvidence,
  deviceWords,
  medicationCounts,
  medicationEvidence,
  medicationWords,
  mentionsAny,
  observationCounts,
  observationEvidence,
  procedureCounts,
  procedureEvidence,
  routeWords,
} from './chart-facts';
import type {
  AllergyMatcher,
  ConditionMatcher,
  DeviceMatcher,
  MatchGroup,
  Matcher,
  MedicationMatcher,
  ObservationMatcher,
  ProcedureMatcher,
} from './rules-schema';
import type { MedicationClassIndex, Terminology } from './terminology';
import type { FlagEvidence } from './types';

export interface MatchEnvironment {
  context: PatientContext;
  terminology: Terminology;
  criteria: Readonly<Record<string, MatchGroup>>;
}

/** Criteria may name other criteria; a chain this deep is a cycle the load-time check missed. */
const MAX_DEPTH = 16;

/** The evidence for a match group: the union of what its `all` and `any` matched, or none when it does not hold. */
export function evaluateGroup(group: MatchGroup, env: MatchEnvironment, depth = 0): FlagEvidence[] {
  if (depth > MAX_DEPTH) {
    throw new AppError('internal', 'Tailoring criteria refer to each other in a loop.');
  }
  const all = (group.all ?? []).map((matcher) => evaluate(matcher, env, depth));
  const any = (group.any ?? []).map((matcher) => evaluate(matcher, env, depth));
  const enoughAny = group.atLeast === undefined ? any.some((found) => found.length > 0) : uniqueEvidence(any.flat()).length >= group.atLeast;
  const holds =
    all.every((found) => found.length > 0) &&
    (group.any === undefined || enoughAny) &&
    (group.none ?? []).every((matcher) => evaluate(matcher, env, depth).length === 0);
  return holds ? uniqueEvidence([...all.flat(), ...any.flat()]) : [];
}

function evaluate(matcher: Matcher, env: MatchEnvironment, depth: number): FlagEvidence[] {
  if ('medicationClass' in matcher) {
    const classes = typeof matcher.medicationClass === 'string' ? [matcher.medicationClass] : matcher.medicationClass;
    return matchMedications({ class: classes }, env);
  }
  if ('medicationText' in matcher) {
    return matchMedications({ text: matcher.medicationText }, env);
  }
  if ('medication' in matcher) {
    return matchMedications(matcher.medication, env);
  }
  if ('conditionIcd10Prefix' in matcher) {
    return matchConditions({ icd10Prefix: matcher.conditionIcd10Prefix }, env);
  }
  if ('condition' in matcher) {
    return matchConditions(matcher.condition, env);
  }
  if ('observation' in matcher) {
    return matchObservations(matcher.observation, env.context);
  }
  if ('procedure' in matcher) {
    return matchProcedures(matcher.procedure, env);
  }
  if ('device' in matcher) {
    return matchDevices(matcher.device, env.context);
  }
  if ('allergy' in matcher) {
    return matchAllergies(matcher.allergy, env);
  }
  if ('ageAtLeast' in matcher) {
    return matchAge(matcher.ageAtLeast, env.context);
  }
  if ('criterion' in matcher) {
    return evaluateGroup(criterionOf(matcher.criterion, env), env, depth + 1);
  }
  return evaluateGroup(matcher, env, depth + 1);
}

function criterionOf(name: string, env: MatchEnvironment): MatchGroup {
  const group = env.criteria[name];
  if (group === undefined) {
    throw new AppError('internal', `Tailoring criterion "${name}" is not defined.`);
  }
  return group;
}

function matchMedications(matcher: MedicationMatcher, env: MatchEnvironment): FlagEvidence[] {
  const classes = (matcher.class ?? []).map((name) => classIndex(name, env.terminology));
  return env.context.medications
    .filter((medication) => medicationCounts(medication, matcher.planned === true))
    .filter((medication) => classes.length === 0 || classes.some((index) => isInClass(medication, index)))
    .filter((medication) => matcher.text === undefined || mentionsAny(medicationWords(medication), matcher.text))
    .filter((medication) => matcher.route === undefined || mentionsAny(routeWords(medication), matcher.route))
    .filter((medication) => matcher.notRoute === undefined || !mentionsAny(routeWords(medication), matcher.notRoute))
    .map(medicationEvidence);
}

export function classIndex(name: string, terminology: Terminology): MedicationClassIndex {
  const index = terminology.medicationClasses.get(name);
  if (index === undefined) {
    throw new AppError('internal', `Medication class "${name}" is not in the tailoring terminology.`);
  }
  return index;
}

const rxnormCodes = (codings: readonly CodingFact[]): string[] =>
  codings.filter((coding) => coding.knownSystem === 'rxnorm' && coding.normalized !== undefined).map((coding) => coding.normalized ?? '');

/**
 * RxNorm product or ingredient codes first. The ingredient-name text match is the last resort, used only when the
 * medication carries no RxNorm code at all (terminology research, "Matching guidance" 1): a coded drug that is not
 * in the class is not in the class, whatever its name says.
 */
export function isInClass(medication: MedicationFact, index: MedicationClassIndex): boolean {
  const codes = [...rxnormCodes(medication.codings), ...rxnormCodes(medication.ingredientCodings)];
  if (codes.length > 0) {
    return codes.some((code) => index.codes.has(code));
  }
  return mentionsAny(medicationWords(medication), index.names);
}

function matchConditions(matcher: ConditionMatcher, env: MatchEnvironment): FlagEvidence[] {
  const coded = matcher.group !== undefined || matcher.icd10Prefix !== undefined || matcher.snomed !== undefined;
  return env.context.conditions
    .filter((condition) => conditionCounts(condition, matcher.history === true))
    .filter((condition) => !coded || hasConditionCode(condition, matcher, env.terminology))
    .filter((condition) => matcher.text === undefined || mentionsAny(conditionWords(condition), matcher.text))
    .map(conditionEvidence);
}

function hasConditionCode(condition: ConditionFact, matcher: ConditionMatcher, terminology: Terminology): boolean {
  const groups = (matcher.group ?? []).map((name) => {
    const group = terminology.conditions.get(name);
    if (group === undefined) {
      throw new AppError('internal', `Condition group "${name}" is not in the tailoring terminology.`);
    }
    return group;
  });
  const prefixes = [...(matcher.icd10Prefix ?? []).map((prefix) => normaliseCode(prefix, 'icd-10-cm')), ...groups.flatMap((g) => g.icd10Prefixes)];
  return condition.codings.some((coding) => {
    const code = coding.normalized ?? '';
    if (coding.knownSystem === 'icd-10-cm') {
      return prefixes.some((prefix) => code.startsWith(prefix)) || groups.some((g) => g.icd10Codes.has(code));
    }
    return coding.knownSystem === 'snomed' && ((matcher.snomed ?? []).includes(code) || groups.some((g) => g.snomedCodes.has(code)));
  });
}

function matchObservations(matcher: ObservationMatcher, context: PatientContext): FlagEvidence[] {
  return [context.latestHbA1c, context.latestPainScore, context.latestBmi]
    .filter((observation) => observation !== undefined)
    .filter((observation) => observation.code === matcher.loinc && observationCounts(observation))
    .filter((observation) => matcher.unit === undefined || observation.unit?.trim().toLowerCase() === matcher.unit.toLowerCase())
    .filter((observation) => matcher.atLeast === undefined || observation.value >= matcher.atLeast)
    .filter((observation) => matcher.atMost === undefined || observation.value <= matcher.atMost)
    .map(observationEvidence);
}

function matchProcedures(matcher: ProcedureMatcher, env: MatchEnvironment): FlagEvidence[] {
  const codes = new Set([...(matcher.cpt ?? []), ...(matcher.group ?? []).flatMap((name) => [...procedureGroup(name, env.terminology)])]);
  return env.context.procedures
    .filter(procedureCounts)
    .filter((procedure) => procedure.codings.some((coding) => coding.knownSystem === 'cpt' && codes.has(coding.normalized ?? '')))
    .map(procedureEvidence);
}

function procedureGroup(name: string, terminology: Terminology): ReadonlySet<string> {
  const group = terminology.procedures.get(name);
  if (group === undefined) {
    throw new AppError('internal', `Procedure group "${name}" is not in the tailoring terminology.`);
  }
  return group;
}

function matchDevices(matcher: DeviceMatcher, context: PatientContext): FlagEvidence[] {
  return context.devices
    .filter(deviceCounts)
    .filter((device) => mentionsAny(deviceWords(device), matcher.text))
    .filter((device) => matcher.notText === undefined || !mentionsAny(deviceWords(device), matcher.notText))
    .filter((device) => matcher.withModel !== true || device.modelNumber !== undefined)
    .map(deviceEvidence);
}

/** Allergies that were never true, or are over, do not count (https://hl7.org/fhir/R4/valueset-allergyintolerance-clinical.html). */
const ALLERGY_NOT_TRUE = new Set(['refuted', 'entered-in-error']);
const ALLERGY_OVER = new Set(['inactive', 'resolved']);

function allergyCounts(allergy: AllergyFact): boolean {
  return !ALLERGY_NOT_TRUE.has(allergy.verificationStatus ?? '') && !ALLERGY_OVER.has(allergy.clinicalStatus ?? '');
}

/**
 * An allergy matches on an RxNorm code of a named class, or on its words (the substance's name, its codes'
 * displays): an allergy is often recorded as text only, and a coded one may use a code the subset lacks.
 */
function matchAllergies(matcher: AllergyMatcher, env: MatchEnvironment): FlagEvidence[] {
  const classes = (matcher.class ?? []).map((name) => classIndex(name, env.terminology));
  return env.context.allergies
    .filter(allergyCounts)
    .filter((allergy) => {
      const codes = rxnormCodes(allergy.codings);
      const words = [allergy.display, ...allergy.codings.map((coding) => coding.display ?? '')];
      return classes.some((index) => codes.some((code) => index.codes.has(code))) || (matcher.text !== undefined && mentionsAny(words, matcher.text));
    })
    .map((allergy) => {
      const criticality = allergy.criticality === undefined ? '' : ` (${allergy.criticality} criticality)`;
      return { reference: allergy.reference, display: capText(`${allergy.display}${criticality}`, DISPLAY_MAX) };
    });
}

function matchAge(minimum: number, context: PatientContext): FlagEvidence[] {
  const patient = context.patient;
  return patient?.ageYears !== undefined && patient.ageYears >= minimum
    ? [{ reference: `Patient/${patient.id}`, display: `age ${patient.ageYears}` }]
    : [];
}

export function uniqueEvidence(evidence: readonly FlagEvidence[]): FlagEvidence[] {
  const seen = new Set<string>();
  return evidence.filter((item) => !seen.has(item.reference) && seen.add(item.reference) !== undefined);
}
