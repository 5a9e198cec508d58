/**
 * Who may open or act on a discussion record: the one policy every route and service asks (pure).
 *
 * - `view` (open, preview, print, reprint, see its filing state): a launch on the same EHR — the same tenant and the
 *   same FHIR base — for the same patient. A launch never reaches another patient's records, nor the records one EHR
 *   holds for a patient id that happens to match on another.
 * - `act` (change, attest, file, mark entered in error): the above, and the discussion is the signed-in clinician's
 *   own (the launch's `fhirUser`).
 *
 * A refusal reads as "no such discussion" (404), so a guessed id tells nothing about other records.
 */
import { notFound } from '../errors';
import type { LaunchSession } from '../store/launch-sessions';
import type { Discussion } from './discussion';

export type DiscussionAction = 'view' | 'act';

type LaunchScope = Pick<LaunchSession, 'tenantId' | 'fhirBaseUrl' | 'patientId' | 'fhirUser'>;
type DiscussionScope = Pick<Discussion, 'tenantId' | 'fhirBaseUrl' | 'patientId' | 'clinician'>;

export function mayAccessDiscussion(launch: LaunchScope, discussion: DiscussionScope, action: DiscussionAction): boolean {
  const samePatient = discussion.tenantId === launch.tenantId && discussion.fhirBaseUrl === launch.fhirBaseUrl &&
    discussion.patientId === launch.patientId;
  switch (action) {
    case 'view':
      return samePatient;
    case 'act':
      return samePatient && launch.fhirUser !== undefined && discussion.clinician.fhirUser === launch.fhirUser;
  }
}

/**
 * The discussion, when this launch may do `action` with it.
 * @throws AppError not_found when there is none or the policy refuses (the same answer, on purpose).
 */
export function accessibleDiscussion<D extends DiscussionScope>(launch: LaunchScope, discussion: D | undefined, action: DiscussionAction): D {
  if (discussion === undefined || !mayAccessDiscussion(launch, discussion, action)) {
    throw notFound('There is no such discussion for this patient.', { details: { reason: 'discussion_unknown' } });
  }
  return discussion;
}
