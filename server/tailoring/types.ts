import type { ChartReadName } from '../chart/read-chart';
import type { TailoringFlagId, UncheckedAreaFlagId } from '../content/content-schema';

/**
 * What the tailoring engine says about one patient. Each flag carries its reason, its source and the chart
 * resources it rests on, so a clinician can see why the handout changed (ARCHITECTURE §4 "Tailoring flag").
 */
export type FlagAudience = 'patient' | 'clinician';
export type FlagSeverity = 'info' | 'caution' | 'alert';

export interface FlagEvidence {
  /** The chart resource, e.g. `MedicationRequest/abc` (as read from the EHR). */
  reference: string;
  /** What it is, in the chart's words (capped, cleaned; escaped by whoever renders it). */
  display: string;
}

export interface FlagSource {
  /** Citation id in the handout pack, or a short source id for clinician-only facts. */
  id: string;
  /** Human-readable citation: organisation/title (year). */
  text: string;
  url?: string;
}

export interface TailoringFlag {
  /** Stable rule id, e.g. `anticoagulant-bleeding`. */
  id: string;
  audience: FlagAudience;
  severity: FlagSeverity;
  /** The content-pack flag this raises (patient-facing blocks and checklist items), if any. */
  handoutFlag?: TailoringFlagId;
  /** Handout section it changes, if any. */
  section?: string;
  /** Short clinician-facing title. */
  title: string;
  /** Why it was raised, in plain words for the clinician. */
  reason: string;
  source: FlagSource;
  evidence: FlagEvidence[];
}

export interface MmeLine {
  reference: string;
  display: string;
  ingredient: string;
  /** mg of the opioid per day at the prescribed maximum. */
  mgPerDay: number;
  /**
   * What the CDC factor multiplies: mg/day for oral opioids, the patch's mcg/hr for transdermal fentanyl (the CDC
   * 2022 table gives the fentanyl patch factor per mcg/hr, so `mgPerDay × factor` is not the MME for a patch).
   */
  basis: { value: number; unit: 'mg/day' | 'mcg/hr' };
  factor: number;
  mmePerDay: number;
}

export interface OralMme {
  totalPerDay: number;
  lines: MmeLine[];
  /** Opioid orders that could not be converted, and why (no structured dose, non-oral route, unknown factor). */
  notCounted: Array<{ reference: string; display: string; why: string }>;
  source: FlagSource;
}

/** The chart reads tailoring rules can depend on (the encounter and the signed-in user decide no rule). */
export type TailoredRead = Exclude<ChartReadName, 'encounter' | 'practitioner'>;

/**
 * A part of the chart the rules could not check because its read was refused or failed: no flag from it is not
 * "no risk" (ARCHITECTURE §3a "Nothing fails silently"). Said in the handout tab, the checklist and the note; the
 * clinician confirms per area that they reviewed it themselves before attesting.
 */
export interface UncheckedArea {
  read: TailoredRead;
  /** The pseudo-flag that brings in the checklist item confirming the clinician's own review. */
  flag: UncheckedAreaFlagId;
  state: 'not-authorized' | 'failed';
  /** What was not checked: the `checks` phrases of the rules depending on the read, each once, in rule order. */
  checks: string[];
  /** Ids of the rules depending on the read. */
  rules: string[];
  /** "Conditions could not be read: bleeding risk and infection risk were not checked from the chart." */
  text: string;
}

export interface TailoringResult {
  flags: TailoringFlag[];
  /** Chart reads the rules depend on that were refused or failed, in read order; empty when all were read. */
  uncheckedAreas: UncheckedArea[];
  oralMme: OralMme | undefined;
  painType: 'cancer' | 'non-cancer' | 'unknown';
}
