/**
 * Who may attest a consent discussion and file its note (pure). Anyone the EHR launches the app for may open the
 * chart, print and reprint the handout and prepare the checklist; attesting and filing are for the roles each EHR
 * tenant names (default: physician, nurse practitioner, physician assistant — those who obtain consent for the
 * implant under the clinic's policy).
 *
 * The role comes from the signed-in user's record, read with the chart at launch (`fhirUser`): Practitioner
 * `qualification.code` or PractitionerRole `code`, coded in HL7 v2 table 0360 (degree/licence: MD, DO, NP, PA, RN…)
 * or the NUCC provider taxonomy. Free text is never trusted to grant a role. Where an EHR does not expose coded
 * qualifications, the tenant lists the users (their `fhirUser` references) who may attest — the documented
 * fallback; with neither, nobody can attest from that EHR, and the page says why.
 */
import type { CodingFact } from '../chart/chart-codings';
import type { PractitionerFacts, ReadState } from '../chart/patient-context';
import type { AttestationPolicy, ClinicalRole } from '../config';
import { CLINICAL_ROLES } from '../config';

export interface Permissions {
  attest: boolean;
  /** Filing follows attestation: whoever may attest may file and mark a note entered in error. */
  file: boolean;
  /** Why not, in words for the signed-in user; null when allowed. */
  reason: string | null;
  /** The roles found in the user's record (for the page and the record of who did what). */
  roles: ClinicalRole[];
}

const V2_0360 = 'http://terminology.hl7.org/CodeSystem/v2-0360';
const NUCC = 'http://nucc.org/provider-taxonomy';

/** HL7 v2 table 0360 degree and licence codes. */
const DEGREE_ROLES: Readonly<Record<string, ClinicalRole>> = {
  MD: 'physician', DO: 'physician', MBBS: 'physician',
  NP: 'nurse-practitioner', CNP: 'nurse-practitioner', APRN: 'nurse-practitioner',
  PA: 'physician-assistant',
  RN: 'nurse', LPN: 'nurse', BSN: 'nurse', MSN: 'nurse',
};

/** NUCC taxonomy code prefixes: 20… allopathic and osteopathic physicians; 363L nurse practitioner; 363A PA; 163W RN. */
const TAXONOMY_ROLES: ReadonlyArray<[string, ClinicalRole]> = [['363L', 'nurse-practitioner'], ['363A', 'physician-assistant'], ['163W', 'nurse'], ['164', 'nurse'], ['20', 'physician']];

const ROLE_LABELS: Readonly<Record<ClinicalRole, string>> = {
  physician: 'physician',
  'nurse-practitioner': 'nurse practitioner',
  'physician-assistant': 'physician assistant',
  nurse: 'nurse',
};

/** `http://terminology.hl7.org/CodeSystem/v2-0360|2.7` is how some servers version the table. */
const systemIs = (coding: CodingFact, system: string): boolean => coding.system === system || coding.system?.startsWith(`${system}|`) === true;

function roleOfCoding(coding: CodingFact): ClinicalRole | undefined {
  const code = coding.code?.trim().toUpperCase();
  if (code === undefined) {
    return undefined;
  }
  if (systemIs(coding, V2_0360)) {
    return DEGREE_ROLES[code.replaceAll('.', '')];
  }
  if (systemIs(coding, NUCC)) {
    return TAXONOMY_ROLES.find(([prefix]) => code.startsWith(prefix))?.[1];
  }
  return undefined;
}

export function rolesOf(practitioner: PractitionerFacts | undefined): ClinicalRole[] {
  const roles = (practitioner?.qualifications ?? []).map(roleOfCoding).filter((r): r is ClinicalRole => r !== undefined);
  return CLINICAL_ROLES.filter((role) => roles.includes(role));
}

const listOfRoles = (roles: readonly ClinicalRole[]): string => {
  const labels = roles.map((r) => ROLE_LABELS[r]);
  return labels.length <= 1 ? (labels[0] ?? 'nobody') : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1) ?? ''}`;
};

/**
 * What the signed-in user may do with a discussion. `userRead` is the state of the launch's read of their record:
 * when it failed, the app cannot know their role and says so ("Refresh from the chart" or a relaunch reads it again).
 */
export function permissionsOf(policy: AttestationPolicy, fhirUser: string | undefined, practitioner: PractitionerFacts | undefined, userRead: ReadState): Permissions {
  const roles = rolesOf(practitioner);
  const allow = (): Permissions => ({ attest: true, file: true, reason: null, roles });
  const refuse = (reason: string): Permissions => ({ attest: false, file: false, reason, roles });
  if (fhirUser !== undefined && policy.users.includes(fhirUser)) {
    return allow();
  }
  if (roles.some((role) => policy.roles.includes(role))) {
    return allow();
  }
  const allowed = `Only a ${listOfRoles(policy.roles)} may attest the discussion and file the note.`;
  if (fhirUser === undefined) {
    return refuse(`The EHR did not say who is signed in. ${allowed}`);
  }
  if (userRead.state !== 'ok') {
    return refuse(`Your user record could not be read from the EHR, so the app cannot confirm your role. ${allowed} Use "Refresh from the chart" on the Chart tab to read it again (or launch the app again from the chart).`);
  }
  if (roles.length > 0) {
    return refuse(`You are signed in as a ${listOfRoles(roles)}: you can prepare the checklist and print the handout. ${allowed}`);
  }
  return refuse(`Your EHR record does not state a clinical qualification the app recognises: you can prepare the checklist and print the handout. ${allowed} If that is wrong, ask your EHR analyst to check your user record or the app's list of users who may attest.`);
}
