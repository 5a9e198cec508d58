/**
 * The handout's scenario: why the pump (indication) and which operation (procedure). It decides the title, the key
 * points, the benefits and risks, the decision section of the handout and the checklist items (`appliesTo`).
 *
 * From the chart it is read off the tailoring flags the engine raised (rules in content/tailoring/rules.json):
 * `baclofen-withdrawal` (intrathecal baclofen) or `spasticity` (a spasticity condition) → spasticity; else `cancer-pain` → cancer pain; else
 * non-cancer pain (a pain clinic's usual patient). `existing-pump` (a pump device, pump procedure or pump status) →
 * a replacement or revision with no trial; else a first implant after a trial. The clinician can change either before
 * printing: the choice is saved with the discussion (`Discussion.scenarioChoice`, `scenarioOfDiscussion`) and every
 * view of it — preview, PDF, checklist, attestation, note — follows it; "trial only" is a clinician choice.
 * Pure.
 */
import type { AppliesTo, Indication, ProcedurePlan } from './content-schema';

export interface Scenario {
  indication: Indication;
  procedure: ProcedurePlan;
}

export type ScenarioOverride = Partial<Scenario>;

export function scenarioFromFlags(activeFlags: Iterable<string>, override: ScenarioOverride = {}): Scenario {
  const flags = new Set(activeFlags);
  const painIndication: Indication = flags.has('cancer-pain') ? 'cancer-pain' : 'non-cancer-pain';
  const fromChart: Scenario = {
    indication: flags.has('spasticity') || flags.has('baclofen-withdrawal') ? 'spasticity' : painIndication,
    procedure: flags.has('existing-pump') ? 'replacement' : 'first-implant',
  };
  return { ...fromChart, ...override };
}

/** True when the scenario matches every dimension `appliesTo` names (no `appliesTo`: always). */
export function appliesToScenario(appliesTo: AppliesTo | undefined, scenario: Scenario): boolean {
  if (appliesTo === undefined) {
    return true;
  }
  return (
    (appliesTo.indication === undefined || appliesTo.indication.includes(scenario.indication)) &&
    (appliesTo.procedure === undefined || appliesTo.procedure.includes(scenario.procedure))
  );
}

/** The scenario in words, for the clinician and the note. */
export const INDICATION_LABELS: Record<Indication, string> = {
  'non-cancer-pain': 'pain not caused by cancer',
  'cancer-pain': 'cancer pain',
  spasticity: 'spasticity (baclofen)',
};
export const PROCEDURE_LABELS: Record<ProcedurePlan, string> = {
  'first-implant': 'a first implant after a trial',
  replacement: 'a pump replacement or revision (no trial)',
  'trial-only': 'a trial only',
};

export function scenarioText(scenario: Scenario): string {
  return `${INDICATION_LABELS[scenario.indication]}; ${PROCEDURE_LABELS[scenario.procedure]}`;
}
