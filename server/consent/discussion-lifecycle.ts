/**
 * The discussion record's life as pure steps — a new draft from what a launch knows, brought up to date with a newer
 * snapshot, frozen at attestation. The store persists each step (with its version check); `npm run render`, the
 * golden tests and the bench take the same steps in memory, so the handout and the note they print come from the
 * same record shape the app serves and files.
 */
import type { ChecklistAnswers } from './checklist-model';
import type { Discussion, DiscussionKey, DiscussionSnapshot } from './discussion';

export interface Attestation {
  attestedAt: Date;
  /** The clinician's fhirUser, from the launch (never from the browser). */
  attestedBy: string;
  /** The final answers, app-filled time included. */
  answers: ChecklistAnswers;
}

/** The draft brought up to date with what the launch knows now; the clinician's own answers stay. */
export function withSnapshot(d: Discussion, s: DiscussionSnapshot): Discussion {
  const clinician = s.clinicianName === undefined ? { fhirUser: d.clinician.fhirUser } : { fhirUser: d.clinician.fhirUser, name: s.clinicianName };
  // The preferred language is the chart's as read now: one no longer recorded is not kept from an earlier read.
  const rest = { ...d };
  delete rest.preferredLanguage;
  return {
    ...rest,
    fhirBaseUrl: s.fhirBaseUrl,
    launchId: s.launchId,
    clinician,
    pack: s.pack,
    checklist: s.checklist,
    interpreterNeeded: s.interpreterNeeded,
    flagsShown: s.flagsShown,
    uncheckedAreas: s.uncheckedAreas,
    answers: { ...d.answers, ...s.appAnswers },
    ...(s.preferredLanguage === undefined ? {} : { preferredLanguage: s.preferredLanguage }),
    ...(s.chartRead === undefined ? {} : { chartRead: s.chartRead }),
  };
}

/** A new draft of `key`, as first opened at `now`. */
export function newDraft(key: DiscussionKey, s: DiscussionSnapshot, at: { id: string; now: Date }): Discussion {
  const base: Discussion = {
    id: at.id, tenantId: key.tenantId, fhirBaseUrl: s.fhirBaseUrl, patientId: key.patientId,
    clinician: { fhirUser: key.clinician }, launchId: s.launchId, pack: s.pack, checklist: s.checklist,
    interpreterNeeded: s.interpreterNeeded, flagsShown: [], uncheckedAreas: [], dismissedFlags: [], clinicianNotes: [], answers: {},
    status: 'draft', createdAt: at.now, updatedAt: at.now, version: 1,
  };
  if (key.encounterId !== undefined) {
    base.encounterId = key.encounterId;
  }
  return withSnapshot(base, s);
}

/** The record frozen as attested (the caller has validated the answers: `validateForAttestation`). */
export function attested(d: Discussion, attestation: Attestation): Discussion {
  return { ...d, answers: attestation.answers, status: 'attested', attestedAt: attestation.attestedAt, attestedBy: attestation.attestedBy };
}
