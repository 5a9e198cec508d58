/**
 * From a launch, the chart as read now, the tailoring result and the chosen pack to what a discussion records
 * (pure). The clinician's identity comes from the launch (the EHR's `fhirUser`), never from the browser.
 */
import type { PatientContext } from '../chart/patient-context';
import { forbidden } from '../errors';
import type { Checklist } from '../content/checklist-schema';
import type { PackChoice } from '../content/content-packs';
import { contentHashOfPack } from '../content/content-packs';
import type { LaunchSession } from '../store/launch-sessions';
import type { TailoringResult } from '../tailoring/types';
import { appFilledAnswers } from './checklist-answers';
import type { ChartReadRef, DiscussionKey, DiscussionSnapshot } from './discussion';
import { shownFlagOf, shownUncheckedAreaOf } from './discussion';

const NAME_MAX = 200;
/** BCP 47 tags are short; a longer chart value is cut rather than stored whole. */
const LANGUAGE_TAG_MAX = 35;

/** Whose discussion this is. A launch that does not say who is signed in cannot attribute a discussion. */
export function discussionKeyOf(launch: LaunchSession): DiscussionKey {
  if (launch.fhirUser === undefined || launch.fhirUser === '') {
    throw forbidden('The EHR did not say who is signed in, so this discussion cannot be recorded.', {
      hint: 'Launch the app again from the chart; it needs the EHR to identify the clinician (fhirUser).',
      details: { reason: 'no_fhir_user' },
    });
  }
  const key: DiscussionKey = { tenantId: launch.tenantId, patientId: launch.patientId, clinician: launch.fhirUser };
  if (launch.encounterId !== undefined) {
    key.encounterId = launch.encounterId;
  }
  return key;
}

/** The signed-in clinician's name: from the id_token, else the chart's Practitioner; bounded. */
export function clinicianNameOf(launch: Pick<LaunchSession, 'context'>, context: PatientContext | undefined): string | undefined {
  const fromToken = typeof launch.context.userName === 'string' ? launch.context.userName.trim() : '';
  const name = fromToken === '' ? context?.practitioner?.name?.trim() : fromToken;
  return name === undefined || name === '' ? undefined : name.slice(0, NAME_MAX);
}

/** "Spanish (es)" — the language's English name and its code, or the code alone when there is no name for it. */
export function languageLabel(code: string, display?: string): string {
  let name = display?.trim();
  if (name === undefined || name === '') {
    try {
      name = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' }).of(code);
    } catch {
      name = undefined;
    }
  }
  return (name === undefined || name === code ? code : `${name} (${code})`).slice(0, NAME_MAX);
}

/** The chart's preferred language; a record that could not be read is not reported as "not recorded". */
export function preferredLanguageText(context: PatientContext): string {
  const preferred = context.patient?.preferredLanguage;
  if (preferred !== undefined) {
    return languageLabel(preferred.code, preferred.display);
  }
  return context.reads.patient.state === 'ok' ? 'Not recorded in the chart' : 'Unknown: the patient record could not be read';
}

/** What a snapshot needs of the launch: where, which launch, who (a CLI run builds one without an EHR). */
export type SnapshotLaunch = Pick<LaunchSession, 'fhirBaseUrl' | 'launchId' | 'fhirUser' | 'context'>;

export interface SnapshotInput {
  launch: SnapshotLaunch;
  context: PatientContext;
  tailoring: TailoringResult;
  choice: PackChoice;
  checklist: Checklist;
  /** The chart read `context` came from. */
  chartRead?: ChartReadRef;
}

/** The content hash of a pack loaded from the content folder (none for a pack built in memory). */
function packHashOf(pack: object): { contentHash?: string } {
  const contentHash = contentHashOfPack(pack);
  return contentHash === undefined ? {} : { contentHash };
}

export function snapshotOf(input: SnapshotInput): DiscussionSnapshot {
  const { launch, context, tailoring, choice, checklist } = input;
  const { pack } = choice;
  const clinicianName = clinicianNameOf(launch, context);
  const appAnswers = appFilledAnswers(checklist, {
    handoutTitle: pack.title,
    handoutVersion: pack.version,
    handoutLanguage: languageLabel(pack.language),
    preferredLanguage: preferredLanguageText(context),
    practitioner: clinicianName ?? launch.fhirUser ?? 'Unknown clinician',
  });
  const snapshot: DiscussionSnapshot = {
    fhirBaseUrl: launch.fhirBaseUrl,
    launchId: launch.launchId,
    pack: { id: pack.id, version: pack.version, language: pack.language, title: pack.title, ...packHashOf(pack) },
    checklist: { id: checklist.id, version: checklist.version },
    interpreterNeeded: choice.interpreterNeeded,
    flagsShown: tailoring.flags.map(shownFlagOf),
    uncheckedAreas: tailoring.uncheckedAreas.map(shownUncheckedAreaOf),
    appAnswers,
  };
  if (clinicianName !== undefined) {
    snapshot.clinicianName = clinicianName;
  }
  const preferred = context.patient?.preferredLanguage?.code.trim().slice(0, LANGUAGE_TAG_MAX);
  if (preferred !== undefined && preferred !== '') {
    snapshot.preferredLanguage = preferred;
  }
  if (input.chartRead !== undefined) {
    snapshot.chartRead = input.chartRead;
  }
  return snapshot;
}
