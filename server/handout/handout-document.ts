import type { PatientContext } from '../chart/patient-context';
import type { ClinicContact } from '../config';
import { clinicContactFromEnv } from '../config';
import { evidenceByHandoutFlag, pumpFactsOf } from './chart-findings';
import type { Discussion } from '../consent/discussion';
import { activeChecklistFlags, scenarioOfDiscussion } from '../consent/discussion';
import { AppError } from '../errors';
import { interpreterNoticeFor, loadHandoutPack } from '../content/content-packs';
import type { HandoutPack, TailoringFlagId } from '../content/content-schema';
import { TAILORING_FLAG_IDS } from '../content/content-schema';
import type { HandoutRenderInput } from './render-html';

/**
 * The handout of one discussion: the pack it pinned, the flags still in force after the clinician's dismissals,
 * the clinician's notes for the patient, and the patient's name from the chart as read now. Pure.
 */
export interface HandoutOptions {
  largePrint: boolean;
  /** Production refuses to print a pack that no reviewer has approved; the sandbox prints it marked DRAFT. */
  requireApproved: boolean;
  printTarget: 'browser' | 'pdf';
  clinic?: ClinicContact;
}

function isFlagId(value: string): value is TailoringFlagId {
  return (TAILORING_FLAG_IDS as readonly string[]).includes(value);
}

export function assertPrintable(pack: HandoutPack, requireApproved: boolean): void {
  if (requireApproved && pack.review.status !== 'approved') {
    throw new AppError('unprocessable', 'This handout version has not been approved for patients, so it cannot be printed.', {
      hint: 'Ask your content reviewer to approve the handout pack, or use an approved version.',
      details: { reason: 'pack_not_approved', pack: pack.id, version: pack.version, language: pack.language },
    });
  }
}

/** The time a discussion's handout is dated by: when it was attested, else its last change. */
export function discussionTime(discussion: Discussion): Date {
  return discussion.attestedAt ?? discussion.updatedAt;
}

/** The preferred language the discussion pinned; a record made before it pinned one falls back to the chart. */
export function preferredLanguageOf(discussion: Pick<Discussion, 'preferredLanguage'>, context: PatientContext): string | undefined {
  return discussion.preferredLanguage ?? context.patient?.preferredLanguage?.code;
}

export function handoutInputFor(discussion: Discussion, context: PatientContext, options: HandoutOptions): HandoutRenderInput {
  const pack = loadHandoutPack(discussion.pack.language);
  if (pack.version !== discussion.pack.version) {
    throw new AppError('conflict', 'The handout content changed since this discussion began.', {
      hint: 'Reload the page: the discussion will show the current handout version.',
      details: { reason: 'pack_version_changed' },
    });
  }
  assertPrintable(pack, options.requireApproved);
  const patient = context.patient;
  const languageNotice = interpreterNoticeFor(preferredLanguageOf(discussion, context));
  const activeFlags = activeChecklistFlags(discussion).filter(isFlagId);
  const dismissed = new Set(discussion.dismissedFlags.map((d) => d.flagId));
  return {
    pack,
    activeFlags,
    // The clinician's saved choice over the chart's reading: never a request's query, so what is previewed is
    // what is printed, checked off and filed.
    scenario: scenarioOfDiscussion(discussion),
    flagEvidence: evidenceByHandoutFlag(discussion.flagsShown.filter((f) => f.audience === 'patient' && !dismissed.has(f.id))),
    pump: pumpFactsOf(context),
    clinic: options.clinic ?? clinicContactFromEnv(),
    patient: {
      ...(patient?.name === undefined ? {} : { name: patient.name }),
      ...(patient?.birthDate === undefined ? {} : { birthDate: patient.birthDate }),
    },
    ...(discussion.clinician.name === undefined ? {} : { clinicianName: discussion.clinician.name }),
    date: discussionTime(discussion).toISOString().slice(0, 10),
    interpreterNeeded: discussion.interpreterNeeded,
    chartNotFullyRead: discussion.uncheckedAreas.length > 0,
    ...(languageNotice === undefined ? {} : { languageNotice }),
    largePrint: options.largePrint,
    clinicianNotes: discussion.clinicianNotes.map((n) => n.text),
    draft: pack.review.status !== 'approved',
    printTarget: options.printTarget,
  };
}
