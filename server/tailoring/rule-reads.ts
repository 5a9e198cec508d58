/**
 * Which chart reads each tailoring rule depends on, and what could not be checked when one of them was refused or
 * failed. Derived from what the rule matches (a condition matcher needs the Condition read, an HbA1c threshold the
 * Observation read, …), criteria followed by name and `none` included: a rule whose exclusion could not be looked
 * at is as unchecked as one whose trigger could not. Pure.
 */
import type { PatientContext, ReadState } from '../chart/patient-context';
import { capitalise, READ_LABELS } from '../chart/read-labels';
import type { UncheckedAreaFlagId } from '../content/content-schema';
import { AppError } from '../errors';
import type { MatchGroup, Matcher, Rule, RuleSet } from './rules-schema';
import type { TailoredRead, UncheckedArea } from './types';

/** In the order the chart is read (and shown on the Chart tab). */
export const TAILORED_READS: readonly TailoredRead[] = [
  'patient', 'conditions', 'medicationRequests', 'medicationStatements', 'allergies', 'observations', 'procedures', 'devices',
];

const FLAG_OF: Readonly<Record<TailoredRead, UncheckedAreaFlagId>> = {
  patient: 'unchecked-patient',
  conditions: 'unchecked-conditions',
  medicationRequests: 'unchecked-medication-requests',
  medicationStatements: 'unchecked-medication-statements',
  allergies: 'unchecked-allergies',
  observations: 'unchecked-observations',
  procedures: 'unchecked-procedures',
  devices: 'unchecked-devices',
};

export function uncheckedFlagOf(read: TailoredRead): UncheckedAreaFlagId {
  return FLAG_OF[read];
}

/** A medication may be on an order or only on a statement, so a medication matcher needs both reads. */
const MEDICATION_READS: readonly TailoredRead[] = ['medicationRequests', 'medicationStatements'];
/** Criteria may name other criteria; the load-time check refuses loops, this bounds a missed one. */
const MAX_DEPTH = 16;

function readsOfMatcher(matcher: Matcher, criteria: Readonly<Record<string, MatchGroup>>, depth: number): TailoredRead[] {
  if ('medicationClass' in matcher || 'medicationText' in matcher || 'medication' in matcher) {
    return [...MEDICATION_READS];
  }
  if ('conditionIcd10Prefix' in matcher || 'condition' in matcher) {
    return ['conditions'];
  }
  if ('observation' in matcher) {
    return ['observations'];
  }
  if ('procedure' in matcher) {
    return ['procedures'];
  }
  if ('device' in matcher) {
    return ['devices'];
  }
  if ('allergy' in matcher) {
    return ['allergies'];
  }
  if ('ageAtLeast' in matcher) {
    return ['patient'];
  }
  if ('criterion' in matcher) {
    const group = criteria[matcher.criterion];
    if (group === undefined) {
      throw new AppError('internal', `Tailoring criterion "${matcher.criterion}" is not defined.`);
    }
    return readsOfGroup(group, criteria, depth + 1);
  }
  return readsOfGroup(matcher, criteria, depth + 1);
}

function readsOfGroup(group: MatchGroup, criteria: Readonly<Record<string, MatchGroup>>, depth: number): TailoredRead[] {
  if (depth > MAX_DEPTH) {
    throw new AppError('internal', 'Tailoring criteria refer to each other in a loop.');
  }
  return [...(group.all ?? []), ...(group.any ?? []), ...(group.none ?? [])].flatMap((matcher) => readsOfMatcher(matcher, criteria, depth));
}

/** The reads a rule depends on, in read order. */
export function readsOfRule(rule: Rule, criteria: Readonly<Record<string, MatchGroup>>): TailoredRead[] {
  const reads = new Set(readsOfGroup(rule.match, criteria, 0));
  return TAILORED_READS.filter((read) => reads.has(read));
}

/** "a", "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

function areaText(read: TailoredRead, state: UncheckedArea['state'], checks: readonly string[]): string {
  const why = state === 'not-authorized' ? ' (the app is not authorized to read them)' : '';
  const verb = checks.length === 1 ? 'was' : 'were';
  return `${capitalise(READ_LABELS[read])} could not be read${why}: ${listed(checks)} ${verb} not checked from the chart.`;
}

function failedState(state: ReadState): UncheckedArea['state'] | undefined {
  return state.state === 'not-authorized' || state.state === 'failed' ? state.state : undefined;
}

/** The areas the rules could not check for this chart: one per refused or failed read that some rule depends on. */
export function uncheckedAreasOf(context: Pick<PatientContext, 'reads'>, rules: RuleSet): UncheckedArea[] {
  const dependants = rules.rules.map((rule) => ({ rule, reads: readsOfRule(rule, rules.criteria) }));
  return TAILORED_READS.flatMap((read): UncheckedArea[] => {
    const state = failedState(context.reads[read]);
    const depending = dependants.filter((d) => d.reads.includes(read)).map((d) => d.rule);
    if (state === undefined || depending.length === 0) {
      return [];
    }
    const checks = [...new Set(depending.map((rule) => rule.checks))];
    return [{ read, flag: uncheckedFlagOf(read), state, checks, rules: depending.map((rule) => rule.id), text: areaText(read, state, checks) }];
  });
}
