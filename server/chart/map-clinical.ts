import type { AllergyIntolerance, Condition, Device, Procedure } from 'fhir/r4';
import { codingsOf, conceptCode, conceptDisplay } from './chart-codings';
import { referenceTo } from './chart-entries';
import { cleanText, DISPLAY_MAX, fhirDateTime, listOf, recordOf, SHORT_MAX } from '../clean-text';
import type { AllergyFact, ConditionFact, DeviceFact, ProcedureFact } from './patient-context';

/**
 * Conditions, allergies, procedures and devices. Records marked `entered-in-error` were never true and are
 * dropped; refuted, resolved, stopped or completed ones are kept with their status, because the tailoring engine
 * and the view decide what a status means (security research §6 F6).
 */

const ENTERED_IN_ERROR = 'entered-in-error';

/** The first of several FHIR choice-type date elements that holds a valid FHIR date or dateTime. */
function firstDate(...values: unknown[]): string | undefined {
  for (const value of values) {
    const date = fhirDateTime(value);
    if (date !== undefined) {
      return date;
    }
  }
  return undefined;
}

export function mapConditions(conditions: Condition[]): ConditionFact[] {
  return conditions
    .filter((condition) => conceptCode(condition.verificationStatus) !== ENTERED_IN_ERROR)
    .map((condition) => ({
      reference: referenceTo(condition),
      display: conceptDisplay(condition.code) ?? 'condition with no description',
      codings: codingsOf(condition.code),
      clinicalStatus: conceptCode(condition.clinicalStatus),
      verificationStatus: conceptCode(condition.verificationStatus),
      category: conceptCode(listOf(condition.category, 1)[0]),
      onset: firstDate(condition.onsetDateTime, recordOf(condition.onsetPeriod).start) ?? cleanText(condition.onsetString, SHORT_MAX),
    }));
}

export function mapAllergies(allergies: AllergyIntolerance[]): AllergyFact[] {
  return allergies
    .filter((allergy) => conceptCode(allergy.verificationStatus) !== ENTERED_IN_ERROR)
    .map((allergy) => ({
      reference: referenceTo(allergy),
      display: conceptDisplay(allergy.code) ?? 'allergy with no description',
      codings: codingsOf(allergy.code),
      criticality: cleanText(allergy.criticality, SHORT_MAX),
      clinicalStatus: conceptCode(allergy.clinicalStatus),
      verificationStatus: conceptCode(allergy.verificationStatus),
      reactions: reactionsOf(allergy.reaction),
    }));
}

/** Each reaction's manifestations (or its description when none is coded), de-duplicated, at most 10. */
function reactionsOf(reactions: unknown): string[] {
  const texts = listOf(reactions, 20).flatMap((reaction) => {
    const manifestations = listOf(recordOf(reaction).manifestation, 10).map((concept) => conceptDisplay(concept));
    const named = manifestations.filter((text): text is string => text !== undefined);
    const description = cleanText(recordOf(reaction).description, DISPLAY_MAX);
    return named.length > 0 || description === undefined ? named : [description];
  });
  return [...new Set(texts)].slice(0, 10);
}

export function mapProcedures(procedures: Procedure[]): ProcedureFact[] {
  return procedures
    .filter((procedure) => procedure.status !== ENTERED_IN_ERROR)
    .map((procedure) => ({
      reference: referenceTo(procedure),
      display: conceptDisplay(procedure.code) ?? 'procedure with no description',
      codings: codingsOf(procedure.code),
      status: cleanText(procedure.status, SHORT_MAX) ?? 'unknown',
      performed:
        firstDate(procedure.performedDateTime, recordOf(procedure.performedPeriod).start, recordOf(procedure.performedPeriod).end) ??
        cleanText(procedure.performedString, SHORT_MAX),
    }));
}

export function mapDevices(devices: Device[]): DeviceFact[] {
  return devices
    .filter((device) => device.status !== ENTERED_IN_ERROR)
    .map((device) => ({
      reference: referenceTo(device),
      display: cleanText(recordOf(listOf(device.deviceName, 1)[0]).name) ?? conceptDisplay(device.type) ?? 'device with no description',
      codings: codingsOf(device.type),
      manufacturer: cleanText(device.manufacturer),
      modelNumber: cleanText(device.modelNumber, SHORT_MAX),
      status: cleanText(device.status, SHORT_MAX),
    }));
}
