/**
 * From what the app knows about a patient (PatientContext + tailoring) to what the renderer prints: which pack
 * (the patient's language, else English with the interpreter notice), which tailored blocks (patient-facing flags
 * the clinician did not dismiss), and the names and dates on the copy. Pure apart from loading the (cached) packs.
 */
import type { PatientContext } from '../chart/patient-context';
import { activeHandoutFlags } from '../tailoring/engine';
import type { TailoringResult } from '../tailoring/types';
import { pickPackForLanguage } from '../content/content-packs';
import type { HandoutRenderInput } from './render-html';

export interface HandoutChoices {
  /** ISO date of the discussion. */
  date: string;
  /** A BCP 47 tag that overrides the patient's preferred language from the chart. */
  language?: string;
  largePrint?: boolean;
  /** Rule ids of tailoring flags the clinician dismissed. */
  dismissedFlags?: readonly string[];
  clinicianNotes?: readonly string[];
  /** Production refuses packs that are not approved; the sandbox and the CLI print drafts with a DRAFT mark. */
  approvedOnly?: boolean;
  printTarget?: HandoutRenderInput['printTarget'];
}

export function handoutInputForChart(context: PatientContext, tailoring: TailoringResult, choices: HandoutChoices): HandoutRenderInput {
  const requested = choices.language ?? context.patient?.preferredLanguage?.code;
  const { pack, interpreterNeeded } = pickPackForLanguage(requested, { approvedOnly: choices.approvedOnly ?? false });
  const patient = context.patient;
  return {
    pack,
    activeFlags: activeHandoutFlags(tailoring, choices.dismissedFlags ?? []),
    patient: {
      ...(patient?.name === undefined ? {} : { name: patient.name }),
      ...(patient?.birthDate === undefined ? {} : { birthDate: patient.birthDate }),
    },
    ...(context.practitioner?.name === undefined ? {} : { clinicianName: context.practitioner.name }),
    date: choices.date,
    interpreterNeeded,
    largePrint: choices.largePrint ?? false,
    clinicianNotes: [...(choices.clinicianNotes ?? [])],
    draft: pack.review.status !== 'approved',
    printTarget: choices.printTarget ?? 'browser',
  };
}
