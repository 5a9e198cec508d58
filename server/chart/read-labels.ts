import type { ReadState } from './patient-context';
import type { ChartReadName } from './read-chart';

/**
 * Clinician-facing words for each chart read. A refused read must never read as "none recorded" (security
 * research §6 C4/F2): an empty allergy list because the app was not allowed to look is not "no known allergies".
 */
export const READ_LABELS: Readonly<Record<ChartReadName, string>> = {
  patient: 'patient details',
  encounter: 'the encounter',
  practitioner: 'your user record',
  conditions: 'conditions',
  medicationRequests: 'medications',
  medicationStatements: 'medication history',
  allergies: 'allergies',
  observations: 'lab results and pain scores',
  procedures: 'procedures',
  devices: 'devices',
};

const NOT_IN_CONTEXT: Readonly<Record<ChartReadName, string>> = {
  patient: 'No patient in context',
  encounter: 'No encounter in context',
  practitioner: 'No signed-in user in context',
  conditions: 'No patient in context',
  medicationRequests: 'No patient in context',
  medicationStatements: 'No patient in context',
  allergies: 'No patient in context',
  observations: 'No patient in context',
  procedures: 'No patient in context',
  devices: 'No patient in context',
};

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The sentence the UI shows for a read that did not succeed, e.g. "Not authorized to read allergies",
 * "Could not read medications: the EHR answered 500", "No encounter in context". Undefined for a read that
 * succeeded: then the data speaks for itself (and an empty list may say "none recorded").
 */
export function describeReadState(name: ChartReadName, state: ReadState): string | undefined {
  switch (state.state) {
    case 'ok':
      return undefined;
    case 'not-authorized':
      return `Not authorized to read ${READ_LABELS[name]}`;
    case 'failed':
      return `Could not read ${READ_LABELS[name]}: ${state.reason}`;
    case 'not-in-context':
      return NOT_IN_CONTEXT[name];
  }
}
