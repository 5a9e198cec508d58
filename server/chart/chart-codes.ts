/**
 * The LOINC codes the chart read asks for and the mapping recognises. Only codes marked verified in the project's
 * terminology research (`research/terminology.json`, `loinc.relatedObservations` and `loinc.painScores`) are used.
 */
export const LOINC_SYSTEM = 'http://loinc.org';

/** Hemoglobin A1c/Hemoglobin.total in Blood (VSAC 2.16.840.1.113883.3.464.1003.198.12.1013 "HbA1c Laboratory Test"). */
export const HBA1C_LOINC = '4548-4';

/** Body mass index (BMI) [Ratio] (verified: OHDSI PhenotypeLibrary; terminology `loinc.relatedObservations`). */
export const BMI_LOINC = '39156-5';

/**
 * Pain *severity* scores on a 0–10 scale: the 0–10 verbal numeric rating, "Pain severity - Reported", Wong-Baker
 * FACES, PEG item 1 (pain in the past week) and the PEG mean. The PEG interference items (91145-3, 91146-1) are
 * left out on purpose: they score interference with life, not pain, and must not be shown as "latest pain score".
 */
export const PAIN_SCORE_LOINCS: readonly string[] = ['72514-3', '38208-5', '38221-8', '75893-8', '91147-9'];

/** The `code` search value: `system|code` tokens joined by commas (FHIR search OR, https://hl7.org/fhir/R4/search.html#token). */
export function observationCodeSearchValue(): string {
  return [HBA1C_LOINC, BMI_LOINC, ...PAIN_SCORE_LOINCS].map((code) => `${LOINC_SYSTEM}|${code}`).join(',');
}
