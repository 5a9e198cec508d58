import type { Encounter, Patient, Practitioner, PractitionerRole } from 'fhir/r4';
import { codingsOf, conceptDisplay } from './chart-codings';
import { keepForPatient, type EntryFilter } from './chart-entries';
import { cleanText, CODE_MAX, fhirDateTime, isRecord, listOf, NAME_MAX, recordOf, SHORT_MAX, URI_MAX } from '../clean-text';
import type { FhirOutcome } from './fhir-http';
import type { EncounterFacts, PatientFacts, PractitionerFacts } from './patient-context';
import type { NotInContext } from './read-chart';

/** Who the patient, the encounter and the signed-in clinician are (security research §6 F3–F5). */

const GENDERS = new Set(['male', 'female', 'other', 'unknown']);
const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const FHIR_DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;
/** BCP-47 language tag shape (RFC 5646), loose: `es`, `ar`, `zh-Hant-TW`. */
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,6}$/;

export function mapPatient(outcome: FhirOutcome<Patient>, patientId: string, now: Date): PatientFacts | undefined {
  if (outcome.kind !== 'ok' || outcome.value.id !== patientId) {
    return undefined;
  }
  const patient = outcome.value;
  const birthDate = typeof patient.birthDate === 'string' && FHIR_DATE.test(patient.birthDate) ? patient.birthDate : undefined;
  return {
    id: patientId,
    name: humanName(patient.name),
    birthDate,
    ageYears: birthDate === undefined ? undefined : ageInYears(birthDate, now),
    sex: typeof patient.gender === 'string' && GENDERS.has(patient.gender) ? patient.gender : undefined,
    preferredLanguage: preferredLanguage(patient.communication),
    mrn: medicalRecordNumber(patient.identifier),
  };
}

/**
 * The name to show: an `official` name, else `usual`, else the first one that is not `old`; its `text` if
 * present, else given names and family name.
 */
export function humanName(names: unknown): string | undefined {
  const candidates = listOf(names, 20).filter(isRecord);
  const ordered = [
    ...candidates.filter((name) => name.use === 'official'),
    ...candidates.filter((name) => name.use === 'usual'),
    ...candidates.filter((name) => name.use !== 'official' && name.use !== 'usual' && name.use !== 'old'),
    ...candidates.filter((name) => name.use === 'old'),
  ];
  for (const name of ordered) {
    const parts = [...listOf(name.given, 10), name.family].filter((part): part is string => typeof part === 'string');
    const display = cleanText(name.text, NAME_MAX) ?? cleanText(parts.join(' '), NAME_MAX);
    if (display !== undefined) {
      return display;
    }
  }
  return undefined;
}

/** Completed years at `now` (UTC), only from a full, real calendar date that is not in the future. */
export function ageInYears(birthDate: string, now: Date): number | undefined {
  const match = FULL_DATE.exec(birthDate);
  if (!match) {
    return undefined;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  const beforeBirthday = now.getUTCMonth() + 1 < month || (now.getUTCMonth() + 1 === month && now.getUTCDate() < day);
  const age = now.getUTCFullYear() - year - (beforeBirthday ? 1 : 0);
  return age >= 0 && age <= 150 ? age : undefined;
}

/** `communication` marked `preferred` first, else the first; the first coding with a BCP-47 code. */
function preferredLanguage(communications: unknown): PatientFacts['preferredLanguage'] {
  const entries = listOf(communications, 20).filter(isRecord);
  const chosen = entries.find((entry) => entry.preferred === true) ?? entries[0];
  const language = recordOf(chosen?.language);
  const coding = listOf(language.coding, 20)
    .map(recordOf)
    .find((candidate) => typeof candidate.code === 'string' && LANGUAGE_TAG.test(candidate.code));
  if (coding === undefined) {
    return undefined;
  }
  return { code: coding.code as string, display: cleanText(language.text, SHORT_MAX) ?? cleanText(coding.display, SHORT_MAX) };
}

/** The identifier typed `MR` (HL7 v2-0203), else one whose type text reads "MRN". */
function medicalRecordNumber(identifiers: unknown): string | undefined {
  const entries = listOf(identifiers, 50).filter(isRecord);
  const typed = entries.find((entry) => codingsOf(entry.type).some((coding) => coding.code === 'MR'))
    ?? entries.find((entry) => /^MRN?$/i.test(cleanText(recordOf(entry.type).text, CODE_MAX) ?? ''));
  return cleanText(typed?.value, SHORT_MAX);
}

export function mapEncounter(outcome: FhirOutcome<Encounter> | NotInContext, filter: EntryFilter): EncounterFacts | undefined {
  if (outcome.kind !== 'ok' || !keepForPatient(outcome.value, filter)) {
    return undefined;
  }
  const encounter = outcome.value;
  return {
    id: encounter.id ?? '',
    status: cleanText(encounter.status, SHORT_MAX) ?? 'unknown',
    classCode: cleanText(recordOf(encounter.class).code, CODE_MAX),
    type: conceptDisplay(listOf(encounter.type, 1)[0]),
    periodStart: fhirDateTime(recordOf(encounter.period).start),
  };
}

/** A user record with more qualifications than this is noise, not information. */
const MAX_QUALIFICATIONS = 20;

export function mapPractitioner(
  outcome: FhirOutcome<Practitioner | PractitionerRole> | NotInContext,
  fhirUser: string | undefined,
): PractitionerFacts | undefined {
  const reference = cleanText(fhirUser, URI_MAX);
  if (reference === undefined) {
    return undefined;
  }
  if (outcome.kind !== 'ok') {
    return { reference };
  }
  const user = outcome.value;
  const name = user.resourceType === 'Practitioner' ? humanName(user.name) : cleanText(recordOf(user.practitioner).display, NAME_MAX);
  const concepts = user.resourceType === 'Practitioner'
    ? listOf(user.qualification, MAX_QUALIFICATIONS).map((q) => recordOf(q).code)
    : listOf(user.code, MAX_QUALIFICATIONS);
  const qualifications = concepts.flatMap((concept) => codingsOf(concept)).slice(0, MAX_QUALIFICATIONS);
  return { reference, name, qualifications };
}
