/**
 * Loads `content/tailoring/rules.json` and checks what the schema alone cannot: that every class, condition group,
 * procedure group and criterion a rule names exists, and that criteria do not refer to each other in a loop. A rule
 * naming something that does not exist would silently never fire, so a bad rule set refuses to load.
 */
import { AppError } from '../errors';
import { loadTailoringRulesRaw } from '../content/content-packs';
import { duplicates } from '../content/content-schema';
import { ruleSetSchema, type MatchGroup, type Matcher, type RuleSet } from './rules-schema';
import { loadTerminology, type Terminology } from './terminology';

/** The only placeholder a reason template may use. */
const PLACEHOLDER = /\{([^}]*)\}/g;

const parsedRules = new WeakMap<object, RuleSet>();

/**
 * Validates and caches the rule set of the content folder (`content/tailoring/rules.json`, read by the content
 * loader so the hash a reviewer approved is of the very file the engine runs); throws an AppError naming every
 * problem when it is not sound.
 */
export function loadRules(): RuleSet {
  const raw = loadTailoringRulesRaw();
  const key = typeof raw === 'object' && raw !== null ? raw : {};
  let rules = parsedRules.get(key);
  if (rules === undefined) {
    rules = parseRuleSet(raw, loadTerminology());
    parsedRules.set(key, rules);
  }
  return rules;
}

/** Pure: a validated rule set, or an AppError listing the problems. */
export function parseRuleSet(raw: unknown, terminology: Terminology): RuleSet {
  const parsed = ruleSetSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('internal', 'The tailoring rules file is invalid.', { cause: parsed.error, details: { issues: parsed.error.issues.length } });
  }
  const problems = ruleSetProblems(parsed.data, terminology);
  if (problems.length > 0) {
    throw new AppError('internal', 'The tailoring rules refer to things that do not exist.', { details: { problems } });
  }
  return parsed.data;
}

/** Problems a schema cannot see. Empty when the rule set is sound. */
export function ruleSetProblems(ruleSet: RuleSet, terminology: Terminology): string[] {
  const problems = duplicates(ruleSet.rules.map((rule) => rule.id)).map((id) => `duplicate rule id "${id}"`);
  const groups: Array<[string, MatchGroup]> = [
    ...Object.entries(ruleSet.criteria).map(([name, group]): [string, MatchGroup] => [`criterion "${name}"`, group]),
    ...ruleSet.rules.map((rule): [string, MatchGroup] => [`rule "${rule.id}"`, rule.match]),
  ];
  for (const [owner, group] of groups) {
    problems.push(...matchersOf(group).flatMap((matcher) => unknownNames(matcher, ruleSet, terminology).map((p) => `${owner}: ${p}`)));
  }
  problems.push(...criteriaCycles(ruleSet.criteria));
  for (const rule of ruleSet.rules) {
    const placeholders = [...rule.reason.matchAll(PLACEHOLDER)].map((match) => match[1]);
    problems.push(...placeholders.filter((name) => name !== 'evidence').map((name) => `rule "${rule.id}": unknown placeholder {${name}}`));
  }
  return problems;
}

/** Every matcher in a group, nested groups included (criteria are followed by name, not inlined). */
export function matchersOf(group: MatchGroup): Matcher[] {
  return [...(group.any ?? []), ...(group.all ?? []), ...(group.none ?? [])].flatMap((matcher) =>
    isGroup(matcher) ? matchersOf(matcher) : [matcher],
  );
}

function isGroup(matcher: Matcher): matcher is MatchGroup {
  return 'any' in matcher || 'all' in matcher || 'none' in matcher;
}

function unknownNames(matcher: Matcher, ruleSet: RuleSet, terminology: Terminology): string[] {
  const missing = (kind: string, names: readonly string[], known: (name: string) => boolean): string[] =>
    names.filter((name) => !known(name)).map((name) => `unknown ${kind} "${name}"`);
  if ('allergy' in matcher) {
    return missing('medication class', matcher.allergy.class ?? [], (name) => terminology.medicationClasses.has(name));
  }
  if ('medicationClass' in matcher || 'medication' in matcher) {
    const classes = 'medicationClass' in matcher ? [matcher.medicationClass].flat() : (matcher.medication.class ?? []);
    return missing('medication class', classes, (name) => terminology.medicationClasses.has(name));
  }
  if ('condition' in matcher) {
    return missing('condition group', matcher.condition.group ?? [], (name) => terminology.conditions.has(name));
  }
  if ('procedure' in matcher) {
    return missing('procedure group', matcher.procedure.group ?? [], (name) => terminology.procedures.has(name));
  }
  if ('criterion' in matcher) {
    return missing('criterion', [matcher.criterion], (name) => Object.hasOwn(ruleSet.criteria, name));
  }
  return [];
}

/** Criteria that reach themselves through `{ "criterion": … }` references. */
function criteriaCycles(criteria: Readonly<Record<string, MatchGroup>>): string[] {
  const references = (name: string): string[] =>
    matchersOf(criteria[name] ?? {}).flatMap((matcher) => ('criterion' in matcher ? [matcher.criterion] : []));
  const reaches = (from: string, target: string, seen: Set<string>): boolean => {
    for (const next of references(from)) {
      if (next === target) {
        return true;
      }
      if (!seen.has(next)) {
        seen.add(next);
        if (reaches(next, target, seen)) {
          return true;
        }
      }
    }
    return false;
  };
  return Object.keys(criteria)
    .filter((name) => reaches(name, name, new Set()))
    .map((name) => `criterion "${name}" refers to itself`);
}
