/**
 * Builds the DocumentReference that files one discussion note to the chart, shaped for the EHR it goes to
 * (ARCHITECTURE §5, shared research `ehr-writeback.md`). Pure: no HTTP, no store. Nothing invalid ever leaves:
 * every resource is validated against its profile before it is returned.
 */
import type { DocumentReference } from 'fhir/r4';
import { AppError } from '../../server/errors';
import { profileSpec } from './profiles';
import type { DocumentReferenceInput, SiteNoteSettings, WriteProfile } from './types';
import { validateForProfile } from './validate';

export { LOINC_EDUCATION_NOTE, LOINC_PROGRESS_NOTE, NOTE_TYPE_TEXT } from './core';
export type { DocumentReferenceInput, NoteDocStatus, PdfInput, SiteNoteSettings, WriteProfile } from './types';
export { WRITE_PROFILES } from './types';
export { MAX_ATTACHMENT_BYTES, validateForProfile } from './validate';

/**
 * @param profile - `us-core` (generic server, sandbox), `epic` or `oracle`.
 * @param site - the tenant's note type and docStatus choices (defaults per profile).
 * @throws AppError `unprocessable` naming the element when the result would break the profile (e.g. Epic without an
 *   encounter, Oracle with `docStatus` preliminary).
 */
export function buildDocumentReference(
  profile: WriteProfile,
  input: DocumentReferenceInput,
  site: SiteNoteSettings = {},
): DocumentReference {
  const spec = profileSpec(profile);
  if (spec === undefined) {
    throw new AppError('unprocessable', 'The note cannot be built: the EHR write profile is not known.', {
      details: { field: 'profile' },
    });
  }
  const resource = spec.build(input, site);
  validateForProfile(profile, resource);
  return resource;
}
