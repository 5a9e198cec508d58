/**
 * The handout of a chart exactly as the app serves it — the draft a launch would open (`draftOf`, the render
 * command's path through `snapshotOf` and `newDraft`), the clinician's dismissals as the store records them, then the
 * handout routes' `handoutInputFor` — for the tests and the bench, so no test prints through a mapping of its own.
 */
import crypto from 'node:crypto';
import type { PatientContext } from '../../server/chart/patient-context';
import { buildPatientContext } from '../../server/chart/patient-context';
import { DEFAULT_CLINICIAN } from '../../server/cli/render-args';
import { draftOf } from '../../server/cli/render-discussion';
import { printableHandout } from '../../server/content/content-approvals';
import { handoutInputFor, printOptionsFor } from '../../server/handout/handout-document';
import type { HandoutRenderInput } from '../../server/handout/render-html';
import { tailor } from '../../server/tailoring/engine';
import { chartReadsFromBundle } from './chart-reads-from-bundle';
import type { SyntheticIndexEntry } from './synthetic-patients';
import { loadSyntheticBundle, sandboxPractitioners } from './synthetic-patients';

export interface ServedHandoutOptions {
  /** The discussion day (YYYY-MM-DD); the draft is opened at noon UTC. */
  date: string;
  patientId?: string;
  dismissedFlags?: readonly string[];
  largePrint?: boolean;
  printTarget?: HandoutRenderInput['printTarget'];
  language?: string;
}

export function servedHandout(context: PatientContext, options: ServedHandoutOptions): HandoutRenderInput {
  const at = new Date(`${options.date}T12:00:00Z`);
  const draft = draftOf(
    { context, tailoring: tailor(context), patientId: options.patientId ?? context.patient?.id ?? 'patient' },
    { clinician: DEFAULT_CLINICIAN, at, id: crypto.randomUUID(), ...(options.language === undefined ? {} : { language: options.language }) },
  );
  const dismissedFlags = (options.dismissedFlags ?? []).map((flagId) => ({ flagId, reason: 'Reviewed with the patient', by: DEFAULT_CLINICIAN.reference, at: at.toISOString() }));
  // The sandbox's choice of content with no store behind it: the loaded pack, nothing approved (marked DRAFT).
  const printable = printableHandout(draft.pack, {}, printOptionsFor(draft, false));
  return handoutInputFor({ ...draft, dismissedFlags }, context, printable, {
    largePrint: options.largePrint ?? false,
    printTarget: options.printTarget ?? 'browser',
  });
}

/** The handout the sandbox serves for one of its synthetic patients, read by Dr Rivera at `now`. */
export function servedHandoutOfSynthetic(entry: SyntheticIndexEntry, now: Date, options: Omit<ServedHandoutOptions, 'patientId'>): HandoutRenderInput {
  const launch = { patientId: entry.patientId, encounterId: entry.encounterId, fhirUser: 'Practitioner/itdd-dr-rivera' };
  const context = buildPatientContext(chartReadsFromBundle(loadSyntheticBundle(entry.file), launch, { extraResources: sandboxPractitioners() }), now);
  return servedHandout(context, { ...options, patientId: entry.patientId });
}
