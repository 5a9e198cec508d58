/**
 * The discussion record: the unit that is filed to the chart and audited (ARCHITECTURE.md §4 "Discussion record").
 * It pins what the patient was given (content pack id, version, language), what the clinician was shown (a
 * snapshot of the tailoring flags with their reasons, sources and chart evidence), what the clinician decided about
 * them (dismissals with reasons), the checklist answers (teach-back result, interpreter, attestation) and who did
 * what, when. `version` increases with every change so two windows cannot silently overwrite each other.
 */
import type { ChartReadRef } from '../chart-snapshot/snapshot-store';
import type { TailoringFlag, UncheckedArea } from '../tailoring/types';
import type { Scenario, ScenarioOverride } from '../content/scenario';
import { scenarioFromFlags } from '../content/scenario';

export type { ChartReadRef } from '../chart-snapshot/snapshot-store';
import { activeHandoutFlags } from '../tailoring/engine';
import type { ChecklistAnswers } from './checklist-model';

/** `draft` while the clinician works; `attested` once signed off (frozen). The filing issue adds filing states. */
export type DiscussionStatus = 'draft' | 'attested';

/**
 * A tailoring flag as the clinician saw it (copied, so the record does not change when the rules do). The fields are
 * named here, so whatever the engine adds later does not slip into stored records unnoticed.
 */
export type ShownFlag = Pick<TailoringFlag, 'id' | 'audience' | 'severity' | 'handoutFlag' | 'section' | 'title' | 'reason' | 'source' | 'evidence'>;

/** An unchecked tailoring area as the clinician was told it (copied like the flags). */
export type ShownUncheckedArea = Pick<UncheckedArea, 'read' | 'flag' | 'state' | 'checks' | 'rules' | 'text'>;

export interface DismissedFlag {
  flagId: string;
  reason: string;
  /** The clinician's fhirUser. */
  by: string;
  /** ISO 8601, the server's clock. */
  at: string;
}

export interface ClinicianNote {
  id: string;
  text: string;
  by: string;
  at: string;
}

export interface PackRef {
  id: string;
  version: string;
  language: string;
  title: string;
  /** SHA-256 of the pack's canonical content (`contentFileOf`): its reprint is of exactly that content. */
  contentHash?: string;
}

export interface ChecklistRef {
  id: string;
  version: string;
}

/** Who the draft belongs to: at most one draft per key, so a reload or a relaunch resumes it. */
export interface DiscussionKey {
  tenantId: string;
  patientId: string;
  encounterId?: string;
  /** The clinician's fhirUser. */
  clinician: string;
}

/** What the server knows at a launch: the chart as read now, the pack chosen now, who is signed in. */
export interface DiscussionSnapshot {
  fhirBaseUrl: string;
  /** The launch that last opened this discussion. */
  launchId: string;
  clinicianName?: string;
  pack: PackRef;
  checklist: ChecklistRef;
  /** The patient's language has no pack: the English one is used with a qualified interpreter. */
  interpreterNeeded: boolean;
  /** The patient's preferred language as the chart gives it (BCP 47), for the interpreter rule; absent when none. */
  preferredLanguage?: string;
  flagsShown: ShownFlag[];
  /** Chart reads the rules depend on that were refused or failed: what the rules could not check. */
  uncheckedAreas: ShownUncheckedArea[];
  /** Values of the app-filled checklist items; they overwrite whatever was stored for those items. */
  appAnswers: ChecklistAnswers;
  /** The chart read the snapshot was built from. */
  chartRead?: ChartReadRef;
}

export interface Discussion {
  id: string;
  tenantId: string;
  fhirBaseUrl: string;
  patientId: string;
  encounterId?: string;
  clinician: { fhirUser: string; name?: string };
  launchId: string;
  pack: PackRef;
  checklist: ChecklistRef;
  interpreterNeeded: boolean;
  /** The patient's preferred language (BCP 47) the interpreter rule compared; absent when the chart records none. */
  preferredLanguage?: string;
  flagsShown: ShownFlag[];
  /** What the rules could not check (a read refused or failed); each needs the clinician's own review. */
  uncheckedAreas: ShownUncheckedArea[];
  dismissedFlags: DismissedFlag[];
  clinicianNotes: ClinicianNote[];
  answers: ChecklistAnswers;
  /**
   * What the clinician chose the handout to be about (indication, procedure) where the chart's reading was not
   * right; absent = the chart's. Saved by a change (PUT …/discussion/scenario), so the preview, the PDF, the checklist,
   * the attestation and the note all follow the same choice.
   */
  scenarioChoice?: ScenarioOverride;
  /** The chart read its handout and note were built from (kept as it was once attested). */
  chartRead?: ChartReadRef;
  status: DiscussionStatus;
  attestedAt?: Date;
  attestedBy?: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/** Copies what the clinician needs to see of a flag (and nothing the engine may add later). */
export function shownFlagOf(flag: TailoringFlag): ShownFlag {
  const shown: ShownFlag = {
    id: flag.id,
    audience: flag.audience,
    severity: flag.severity,
    title: flag.title,
    reason: flag.reason,
    source: { ...flag.source },
    evidence: flag.evidence.map((e) => ({ reference: e.reference, display: e.display })),
  };
  if (flag.handoutFlag !== undefined) {
    shown.handoutFlag = flag.handoutFlag;
  }
  if (flag.section !== undefined) {
    shown.section = flag.section;
  }
  return shown;
}

export function shownUncheckedAreaOf(area: UncheckedArea): ShownUncheckedArea {
  return { read: area.read, flag: area.flag, state: area.state, checks: [...area.checks], rules: [...area.rules], text: area.text };
}

/**
 * The content-pack flags still in force: those the handout prints for the flags shown, less the ones the clinician
 * dismissed — the engine's own rule (`activeHandoutFlags`), so the checklist asks about exactly the tailored risks
 * the handout explains — and the pseudo-flag of each unchecked area. Taken from the record, not a fresh chart read,
 * so what is validated at attestation is what the clinician was shown.
 */
export function activeChecklistFlags(discussion: Pick<Discussion, 'flagsShown' | 'dismissedFlags' | 'uncheckedAreas'>): string[] {
  const raised = activeHandoutFlags({ flags: discussion.flagsShown }, discussion.dismissedFlags.map((d) => d.flagId));
  // An unchecked area cannot be dismissed: its pseudo-flag brings in the item confirming the clinician's review.
  return [...raised, ...discussion.uncheckedAreas.map((area) => area.flag)];
}

/** What the chart says the handout is about, from the flags in force (the clinician's choice left out). */
export function chartScenarioOf(discussion: Pick<Discussion, 'flagsShown' | 'dismissedFlags' | 'uncheckedAreas'>): Scenario {
  return scenarioFromFlags(activeChecklistFlags(discussion));
}

/**
 * What the discussion's handout and checklist are about: the chart's scenario with the clinician's saved choice over
 * it. The one answer the preview, the PDF, the checklist items, the attestation rules and the note share.
 */
export function scenarioOfDiscussion(discussion: Pick<Discussion, 'flagsShown' | 'dismissedFlags' | 'uncheckedAreas' | 'scenarioChoice'>): Scenario {
  return scenarioFromFlags(activeChecklistFlags(discussion), discussion.scenarioChoice ?? {});
}

/**
 * The choice to keep for a clinician's request (`null` or absent: the chart's reading of that dimension): only the
 * dimensions that differ from the chart's reading, so a choice that agrees with the chart leaves nothing to go stale.
 */
export function scenarioChoiceFor(
  discussion: Pick<Discussion, 'flagsShown' | 'dismissedFlags' | 'uncheckedAreas'>,
  requested: { indication?: Scenario['indication'] | null; procedure?: Scenario['procedure'] | null },
): ScenarioOverride {
  const fromChart = chartScenarioOf(discussion);
  const { indication, procedure } = requested;
  return {
    ...(indication === null || indication === undefined || indication === fromChart.indication ? {} : { indication }),
    ...(procedure === null || procedure === undefined || procedure === fromChart.procedure ? {} : { procedure }),
  };
}

/** The discussion with the clinician's choice of scenario recorded (an empty choice: the chart's reading stands). */
export function withScenarioChoice(discussion: Discussion, choice: ScenarioOverride): Discussion {
  const next = { ...discussion };
  delete next.scenarioChoice;
  return choice.indication === undefined && choice.procedure === undefined ? next : { ...next, scenarioChoice: { ...choice } };
}
