import type { PatientContext } from '../chart/patient-context';
import type { ClinicContact } from '../config';
import { clinicContactFromEnv } from '../config';
import { evidenceByHandoutFlag, pumpFactsOf } from './chart-findings';
import type { Discussion } from '../consent/discussion';
import { activeChecklistFlags, scenarioOfDiscussion } from '../consent/discussion';
import type { PrintableHandout, PrintOptions } from '../content/content-approvals';
import { interpreterNoticeFor } from '../content/content-packs';
import type { TailoringFlagId } from '../content/content-schema';
import { TAILORING_FLAG_IDS } from '../content/content-schema';
import type { HandoutRenderInput } from './render-html';

/**
 * The handout of one discussion: the pack it pinned (chosen by `ContentApprovals.handoutToPrint`, with
 * `printOptionsFor`), the flags still in force after the clinician's dismissals, the clinician's notes for the
 * patient, and the patient's name from the chart as read now. Pure.
 */
export interface HandoutOptions {
  largePrint: boolean;
  printTarget: 'browser' | 'pdf';
  clinic?: ClinicContact;
}

function isFlagId(value: string): value is TailoringFlagId {
  return (TAILORING_FLAG_IDS as readonly string[]).includes(value);
}

/**
 * How a discussion's pack is chosen for print: production refuses a version no reviewer approved (the sandbox prints
 * it marked DRAFT), and an attested discussion counts only approvals made by its attestation, so its reprint never
 * changes.
 */
export function printOptionsFor(discussion: Pick<Discussion, 'status' | 'attestedAt'>, requireApproved: boolean): PrintOptions {
  return discussion.status === 'attested' && discussion.attestedAt !== undefined ? { requireApproved, asOf: discussion.attestedAt } : { requireApproved };
}

/** The time a discussion's handout is dated by: when it was attested, else its last change. */
export function discussionTime(discussion: Discussion): Date {
  return discussion.attestedAt ?? discussion.updatedAt;
}

/** The preferred language the discussion pinned; a record made before it pinned one falls back to the chart. */
export function preferredLanguageOf(discussion: Pick<Discussion, 'preferredLanguage'>, context: PatientContext): string | undefined {
  return discussion.preferredLanguage ?? context.patient?.preferredLanguage?.code;
}

export function handoutInputFor(discussion: Discussion, context: PatientContext, printable: PrintableHandout, options: HandoutOptions): HandoutRenderInput {
  const { pack } = printable;
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
    draft: printable.approval === undefined,
    printTarget: options.printTarget,
  };
}
