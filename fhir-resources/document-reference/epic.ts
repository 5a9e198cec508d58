/**
 * Epic: DocumentReference.Create (Clinical Notes) (R4), API id 1046, https://fhir.epic.com/Sandbox?api=1046.
 *
 * Sources: shared research `ehr-writeback.md` §1.1 (element rules reported by implementers who quote and tested
 * the spec page, tagged [S]) and "Implications for the app" 4 (the recommended shape):
 * - one attachment only ("Epic only saves the first attachment"), base64 `text/plain` ("Clinical notes are
 *   `text/plain` base64 only"), so the PDF is never sent here;
 * - `context.encounter` is required and must be an existing encounter of the same patient: the app refuses to write
 *   without one rather than let Epic reject or misfile it;
 * - `docStatus` `preliminary` by default: the note stays unsigned until the clinician signs it in Hyperspace, which
 *   is a human attestation for the compliance audit; `final` ("corresponds to a value of signed") if the site says so;
 * - type: LOINC from Epic's note-type list, default 11506-3 "Progress note", or the organisation's note-type OID
 *   (`urn:oid:…`), configured per site after `ValueSet/$expand` (Epic "ID Types for APIs",
 *   https://fhir.epic.com/Documentation?docId=epicidtypes);
 * - author: the signed-in practitioner is sent. Whether Epic attributes a user-launch note to it, or to the launching
 *   user regardless, is unverified (research §1.1 "User-context attribution: [U]"): verify in the sandbox.
 */
import type { DocumentReference } from 'fhir/r4';
import { baseDocumentReference, LOINC_PROGRESS_NOTE, LOINC_SYSTEM, noteTextContent, TEXT_PLAIN } from './core';
import type { DocumentReferenceInput, SiteNoteSettings, Violation, WriteProfileSpec } from './types';

/** Epic organisation note types are OIDs; anything else is LOINC. */
const EPIC_OID_SYSTEM = /^urn:oid:[0-2](?:\.\d+)+$/;

function build(input: DocumentReferenceInput, site: SiteNoteSettings): DocumentReference {
  return baseDocumentReference(input, {
    docStatus: site.docStatus ?? 'preliminary',
    typeCoding: site.typeCoding ?? LOINC_PROGRESS_NOTE,
    content: [noteTextContent(input, TEXT_PLAIN)],
  });
}

function check(resource: DocumentReference): Violation | undefined {
  if (resource.context?.encounter?.length !== 1) {
    return { field: 'context.encounter', why: 'is required: Epic files a note only against an encounter of the patient' };
  }
  if ((resource.content ?? []).length !== 1) {
    return { field: 'content', why: 'must hold exactly one attachment (Epic saves only the first)' };
  }
  const systems = (resource.type?.coding ?? []).map((c) => c.system ?? '');
  if (systems.some((system) => system !== LOINC_SYSTEM && !EPIC_OID_SYSTEM.test(system))) {
    return { field: 'type.coding', why: 'must be LOINC or an Epic note-type OID (urn:oid:…)' };
  }
  return undefined;
}

export const epicProfile: WriteProfileSpec = {
  ehrName: 'Epic',
  contentTypes: [TEXT_PLAIN],
  docStatuses: ['preliminary', 'final'],
  build,
  check,
};
