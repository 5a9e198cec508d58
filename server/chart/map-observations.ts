import type { Observation } from 'fhir/r4';
import { BMI_LOINC, HBA1C_LOINC, PAIN_SCORE_LOINCS } from './chart-codes';
import { codingsOf, conceptDisplay, hasCoding, type CodingFact } from './chart-codings';
import { referenceTo } from './chart-entries';
import { cleanText, fhirDateTime, finiteNumber, recordOf, SHORT_MAX } from '../clean-text';
import type { ObservationFact } from './patient-context';

/**
 * The latest HbA1c and the latest pain score. "Latest" is by the clinically relevant time (effective, else
 * issued), never by list order: servers return results in any order. Observations without a numeric value,
 * cancelled ones and ones entered in error are not results.
 */

const NOT_A_RESULT = new Set(['entered-in-error', 'cancelled']);

/** "7", "7.5", "8 %" as some EHRs send scores in `valueString`; anything else is not a number. */
const NUMERIC_STRING = /^\s*(\d{1,4}(?:\.\d{1,4})?)\s*(%?)\s*$/;

export function latestObservations(observations: Observation[]): { hba1c?: ObservationFact; painScore?: ObservationFact; bmi?: ObservationFact } {
  let hba1c: ObservationFact | undefined;
  let painScore: ObservationFact | undefined;
  let bmi: ObservationFact | undefined;
  for (const observation of observations) {
    if (typeof observation.status === 'string' && NOT_A_RESULT.has(observation.status)) {
      continue;
    }
    const codings = codingsOf(observation.code);
    if (hasCoding(codings, 'loinc', [HBA1C_LOINC])) {
      hba1c = later(hba1c, toFact(observation, codings, [HBA1C_LOINC]));
    } else if (hasCoding(codings, 'loinc', [BMI_LOINC])) {
      bmi = later(bmi, toFact(observation, codings, [BMI_LOINC]));
    } else if (hasCoding(codings, 'loinc', PAIN_SCORE_LOINCS)) {
      painScore = later(painScore, toFact(observation, codings, PAIN_SCORE_LOINCS));
    }
  }
  return { hba1c, painScore, bmi };
}

function toFact(observation: Observation, codings: CodingFact[], codes: readonly string[]): ObservationFact | undefined {
  const value = valueOf(observation);
  if (value === undefined) {
    return undefined;
  }
  const code = codings.find((coding) => coding.knownSystem === 'loinc' && codes.includes(coding.normalized ?? ''))?.normalized ?? '';
  return {
    reference: referenceTo(observation),
    code,
    display: conceptDisplay(observation.code) ?? code,
    value: value.value,
    unit: value.unit,
    effective: effectiveOf(observation),
    status: cleanText(observation.status, SHORT_MAX) ?? 'unknown',
  };
}

function valueOf(observation: Observation): { value: number; unit?: string } | undefined {
  const quantity = recordOf(observation.valueQuantity);
  const quantityValue = finiteNumber(quantity.value);
  if (quantityValue !== undefined) {
    return { value: quantityValue, unit: cleanText(quantity.unit, SHORT_MAX) ?? cleanText(quantity.code, SHORT_MAX) };
  }
  const integer = finiteNumber(observation.valueInteger);
  if (integer !== undefined) {
    return { value: integer };
  }
  const match = typeof observation.valueString === 'string' ? NUMERIC_STRING.exec(observation.valueString) : null;
  return match ? { value: Number(match[1]), unit: match[2] === '%' ? '%' : undefined } : undefined;
}

function effectiveOf(observation: Observation): string | undefined {
  const period = recordOf(observation.effectivePeriod);
  return (
    fhirDateTime(observation.effectiveDateTime) ??
    fhirDateTime(observation.effectiveInstant) ??
    fhirDateTime(period.end) ??
    fhirDateTime(period.start) ??
    fhirDateTime(observation.issued)
  );
}

/** Milliseconds for comparison; an undated result sorts before every dated one. */
function timeOf(fact: ObservationFact): number {
  const time = fact.effective === undefined ? Number.NaN : Date.parse(fact.effective);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}

function later(current: ObservationFact | undefined, candidate: ObservationFact | undefined): ObservationFact | undefined {
  if (candidate === undefined) {
    return current;
  }
  return current === undefined || timeOf(candidate) > timeOf(current) ? candidate : current;
}
