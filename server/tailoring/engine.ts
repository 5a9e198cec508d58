/**
 * The tailoring engine: evaluates the reviewed rules in `content/tailoring/rules.json` over a PatientContext and
 * says which handout blocks and checklist items apply, which clinician alerts to show, why, on what source and on
 * which chart resources (ARCHITECTURE §4 "Tailoring flag"). Pure: no I/O once the rules and terminology are loaded.
 */
import type { PatientContext } from '../chart/patient-context';
import { TAILORING_FLAG_IDS, type TailoringFlagId } from '../content/content-schema';
import { evaluateGroup, type MatchEnvironment } from './matchers';
import { oralMme } from './mme';
import { uncheckedAreasOf } from './rule-reads';
import { loadRules } from './rule-set';
import type { Rule, RuleSet } from './rules-schema';
import { loadTerminology, type Terminology } from './terminology';
import type { FlagEvidence, FlagSeverity, TailoringFlag, TailoringResult } from './types';

export { loadRules } from './rule-set';

const SEVERITY_ORDER: Readonly<Record<FlagSeverity, number>> = { alert: 0, caution: 1, info: 2 };
/** How many chart items a reason names before it says "and N more" (the evidence list has them all). */
const NAMED_IN_REASON = 5;

export function tailor(context: PatientContext, rules: RuleSet = loadRules(), terminology: Terminology = loadTerminology()): TailoringResult {
  const env: MatchEnvironment = { context, terminology, criteria: rules.criteria };
  const flags = rules.rules
    .map((rule) => ({ rule, flag: flagOf(rule, evaluateGroup(rule.match, env)) }))
    .filter((found): found is { rule: Rule; flag: TailoringFlag } => found.flag !== undefined)
    .sort((a, b) => bySeverityThenId(a.flag, b.flag, (a.rule.priority ?? 0) - (b.rule.priority ?? 0)))
    .map((found) => found.flag);
  return { flags, uncheckedAreas: uncheckedAreasOf(context, rules), oralMme: oralMme(context, terminology), painType: painTypeOf(flags) };
}

/**
 * The content-pack flags to print: those of patient-facing flags the clinician has not dismissed (by rule id),
 * each once, in the content schema's order.
 */
export function activeHandoutFlags(result: Pick<TailoringResult, 'flags'>, dismissed: readonly string[]): TailoringFlagId[] {
  const raised = new Set(
    result.flags
      .filter((flag) => flag.audience === 'patient' && !dismissed.includes(flag.id))
      .map((flag) => flag.handoutFlag)
      .filter((flag): flag is TailoringFlagId => flag !== undefined),
  );
  return TAILORING_FLAG_IDS.filter((id) => raised.has(id));
}

function flagOf(rule: Rule, evidence: FlagEvidence[]): TailoringFlag | undefined {
  if (evidence.length === 0) {
    return undefined;
  }
  return {
    id: rule.id,
    audience: rule.audience,
    severity: rule.severity,
    ...(rule.handoutFlag !== undefined && { handoutFlag: rule.handoutFlag }),
    ...(rule.section !== undefined && { section: rule.section }),
    title: rule.title,
    reason: rule.reason.replaceAll('{evidence}', namedEvidence(evidence)),
    source: { ...rule.source },
    evidence,
  };
}

/** "apixaban 5 MG Oral Tablet; Long term (current) use of anticoagulants", capped with "and N more". */
function namedEvidence(evidence: readonly FlagEvidence[]): string {
  const named = evidence.slice(0, NAMED_IN_REASON).map((item) => item.display).join('; ');
  const more = evidence.length - NAMED_IN_REASON;
  return more > 0 ? `${named} and ${more} more` : named;
}

/** Alerts first, then cautions, then information; within a severity the higher priority, then by id. */
function bySeverityThenId(a: TailoringFlag, b: TailoringFlag, priorityAMinusB: number): number {
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || -priorityAMinusB || (a.id < b.id ? -1 : Number(a.id > b.id));
}

function painTypeOf(flags: readonly TailoringFlag[]): TailoringResult['painType'] {
  if (flags.some((flag) => flag.handoutFlag === 'cancer-pain')) {
    return 'cancer';
  }
  return flags.some((flag) => flag.handoutFlag === 'non-cancer-pain') ? 'non-cancer' : 'unknown';
}
