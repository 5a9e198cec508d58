/**
 * What a chart fact's status means for tailoring, what words a fact can be matched on, and how a matched fact is
 * named as evidence. Kept apart from the matchers so the status policy is in one place and testable on its own.
 */
import type {
  ConditionFact,
  DeviceFact,
  MedicationFact,
  ObservationFact,
  ProcedureFact,
} from '../chart/patient-context';
import { capText, DISPLAY_MAX } from '../clean-text';
import type { FlagEvidence } from './types';

/**
 * Conditions that were never true (refuted, entered in error) never count; ones that are over (inactive,
 * resolved, in remission) count only where a *history* is what matters (the ziconotide boxed warning).
 * https://hl7.org/fhir/R4/valueset-condition-ver-status.html, https://hl7.org/fhir/R4/valueset-condition-clinical.html
 */
const NOT_TRUE = new Set(['refuted', 'entered-in-error']);
const OVER = new Set(['inactive', 'resolved', 'remission']);

export function conditionCounts(condition: ConditionFact, history: boolean): boolean {
  if (NOT_TRUE.has(condition.verificationStatus ?? '')) {
    return false;
  }
  return history || !OVER.has(condition.clinicalStatus ?? '');
}

/**
 * Medication orders and statements that are over or void never count; planned ones (`draft` request, `intended`
 * statement) count only for rules about a drug under consideration. Everything else (active, on-hold, unknown)
 * counts: a paused anticoagulant still needs a peri-procedural plan.
 * https://hl7.org/fhir/R4/valueset-medicationrequest-status.html, https://hl7.org/fhir/R4/valueset-medication-statement-status.html
 */
const MEDICATION_OVER = new Set(['stopped', 'completed', 'entered-in-error', 'cancelled', 'not-taken']);
const MEDICATION_PLANNED = new Set(['draft', 'intended']);

export function medicationCounts(medication: MedicationFact, planned: boolean): boolean {
  if (MEDICATION_OVER.has(medication.status)) {
    return false;
  }
  return planned || !MEDICATION_PLANNED.has(medication.status);
}

/** Results that were cancelled or entered in error are not results (https://hl7.org/fhir/R4/valueset-observation-status.html). */
export function observationCounts(observation: ObservationFact): boolean {
  return observation.status !== 'entered-in-error' && observation.status !== 'cancelled';
}

/** Only procedures that happened (or are happening) say something about the patient's body. */
export function procedureCounts(procedure: ProcedureFact): boolean {
  return procedure.status === 'completed' || procedure.status === 'in-progress';
}

/** An inactive device has been removed or switched off; one entered in error was never there. */
export function deviceCounts(device: DeviceFact): boolean {
  return device.status !== 'inactive' && device.status !== 'entered-in-error';
}

/** The words a medication can be matched on: its name and the names of its codes and ingredients, never dosage text. */
export function medicationWords(medication: MedicationFact): string[] {
  return [
    medication.display,
    ...[...medication.codings, ...medication.ingredientCodings].map((coding) => coding.display ?? ''),
    ...(medication.ingredientStrengths ?? []).map((ingredient) => ingredient.display ?? ''),
  ];
}

export function routeWords(medication: MedicationFact): string[] {
  return [
    medication.route ?? '',
    ...medication.routeCodings.map((coding) => coding.display ?? ''),
    ...medication.dosages.map((dosage) => dosage.route ?? ''),
  ];
}

export function deviceWords(device: DeviceFact): string[] {
  return [device.display, device.manufacturer ?? '', device.modelNumber ?? '', ...device.codings.map((coding) => coding.display ?? '')];
}

export function conditionWords(condition: ConditionFact): string[] {
  return [condition.display, ...condition.codings.map((coding) => coding.display ?? '')];
}

/**
 * A case-insensitive whole-word test. Word edges are letters and digits in any script, so "prialt" does not
 * match inside "apprialtx" and "pump" matches "pump," and "(pump)".
 */
export function mentionsAny(texts: readonly string[], terms: readonly string[]): boolean {
  return terms.some((term) => {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(term)}(?![\\p{L}\\p{N}])`, 'iu');
    return texts.some((text) => pattern.test(text));
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const evidence = (reference: string, display: string): FlagEvidence => ({ reference, display: capText(display, DISPLAY_MAX) });

export function conditionEvidence(condition: ConditionFact): FlagEvidence {
  return evidence(condition.reference, condition.display);
}

/** A medication named with its status when it is not simply active ("ziconotide (draft)"). */
export function medicationEvidence(medication: MedicationFact): FlagEvidence {
  const status = medication.status === 'active' ? '' : ` (${medication.status})`;
  return evidence(medication.reference, `${medication.display}${status}`);
}

export function observationEvidence(observation: ObservationFact): FlagEvidence {
  const unit = observation.unit === undefined ? '' : ` ${observation.unit}`;
  const date = observation.effective === undefined ? '' : ` on ${observation.effective.slice(0, 10)}`;
  return evidence(observation.reference, `${observation.display}: ${observation.value}${unit}${date}`);
}

export function procedureEvidence(procedure: ProcedureFact): FlagEvidence {
  const date = procedure.performed === undefined ? '' : ` (${procedure.performed.slice(0, 10)})`;
  return evidence(procedure.reference, `${procedure.display}${date}`);
}

/** A device named with its manufacturer and model, so a clinician can look up that model's labelling. */
export function deviceEvidence(device: DeviceFact): FlagEvidence {
  const details = [device.manufacturer, device.modelNumber === undefined ? undefined : `model ${device.modelNumber}`].filter(
    (detail): detail is string => detail !== undefined,
  );
  return evidence(device.reference, details.length === 0 ? device.display : `${device.display} (${details.join(', ')})`);
}
