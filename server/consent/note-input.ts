/**
 * From a discussion record to the input of `renderDiscussionNote` (`fhir-resources/discussion-note.ts`): which
 * checklist answers the note lists and how, the teach-back result, the interpreter, the tailoring shown and what the
 * clinician dismissed. The one mapping every caller uses — the committed example discussion, `npm run render` and the
 * filing service — so a note reads the same whichever of them wrote it. Pure.
 */
import type { DiscussionNoteInput } from '../../fhir-resources/discussion-note';
import type { PatientFacts } from '../chart/patient-context';
import type { Checklist } from '../content/checklist-schema';
import type { ChecklistAnswer, ChecklistAnswers } from './checklist-model';
import { isAreaConfirmed } from './checklist-model';
import type { Scenario } from '../content/scenario';
import { scenarioText } from '../content/scenario';
import type { ChartReadRef, ClinicianNote, DismissedFlag, PackRef, ShownFlag, ShownUncheckedArea } from './discussion';

/** The parts of a discussion record the note is made from. A stored `Discussion` is one as it is. */
export interface NoteRecord {
  id: string;
  patientId: string;
  encounterId?: string;
  pack: PackRef;
  interpreterNeeded: boolean;
  /** The patient's preferred language (BCP 47): the language an interpreter interpreted into. */
  preferredLanguage?: string;
  flagsShown: ReadonlyArray<Pick<ShownFlag, 'id' | 'title' | 'audience'>>;
  /** What the rules could not check (a chart read refused or failed). */
  uncheckedAreas: ReadonlyArray<Pick<ShownUncheckedArea, 'flag' | 'text'>>;
  dismissedFlags: ReadonlyArray<Pick<DismissedFlag, 'flagId' | 'reason'>>;
  clinicianNotes: ReadonlyArray<Pick<ClinicianNote, 'text'>>;
  /** The attested answers (`answersForRecord`): the items shown, app-filled ones included. */
  answers: ChecklistAnswers;
  /** The chart read the discussion was built from. */
  chartRead?: ChartReadRef;
}

/** ISO date-times with offsets, as the note prints them (it never converts a time zone). */
export interface NoteTimes {
  attestedAt: string;
  periodStart: string;
  periodEnd: string;
}

export interface NoteInputSources {
  record: NoteRecord;
  checklist: Checklist;
  /** The patient as the chart gives it; undefined when it could not be read (the note says "not recorded"). */
  patient: Pick<PatientFacts, 'name' | 'birthDate' | 'mrn'> | undefined;
  /** `reference` relative to the FHIR base, e.g. `Practitioner/abc`. */
  clinician: { reference: string; name?: string };
  times: NoteTimes;
  appVersion: string;
  /** SHA-256 (hex) of the handout PDF given, when one was made. */
  pdfSha256?: string;
  /** What the handout and checklist were about (`scenarioOfDiscussion`), and the chart's reading when the clinician chose. */
  scenario: { inForce: Scenario; fromChart: Scenario };
}

/** The scenario as the note words it: the chart's reading, or the clinician's choice with what the chart read. */
export function noteScenarioOf(scenario: NoteInputSources['scenario']): DiscussionNoteInput['scenario'] {
  const chosen = scenario.inForce.indication !== scenario.fromChart.indication || scenario.inForce.procedure !== scenario.fromChart.procedure;
  return chosen
    ? { text: scenarioText(scenario.inForce), chosenBy: 'clinician', fromChart: scenarioText(scenario.fromChart) }
    : { text: scenarioText(scenario.inForce), chosenBy: 'chart' };
}

/** "Confirmed", an option's display or the text entered, followed by the clinician's note on the item, if any. */
export function answerText(checklist: Checklist, itemId: string, answer: ChecklistAnswer | undefined): string {
  const item = checklist.items.find((i) => i.id === itemId);
  const value = answer?.value;
  let text: string;
  if (item?.kind === 'confirm') {
    text = value === true ? 'Confirmed' : 'Not confirmed';
  } else {
    const option = item?.kind === 'choice' ? item.options?.find((o) => o.code === value) : undefined;
    text = option?.display ?? String(value ?? '');
  }
  return answer?.note === undefined || answer.note.trim() === '' ? text : `${text} (${answer.note})`;
}

/** The answered items in checklist order, with their group labels and readable answers. */
export function checklistLines(checklist: Checklist, answers: ChecklistAnswers): DiscussionNoteInput['checklist'] {
  const groupLabel = new Map(checklist.groups.map((g) => [g.id, g.label]));
  return checklist.items
    .filter((item) => Object.hasOwn(answers, item.id))
    .map((item) => ({ group: groupLabel.get(item.group) ?? item.group, text: item.text, answer: answerText(checklist, item.id, answers[item.id]) }));
}

/** The interpreter as the checklist records it (Section 1557: who, and how, once one was used). */
function interpreterOf(checklist: Checklist, record: NoteRecord): DiscussionNoteInput['interpreter'] {
  const answers = record.answers;
  const used = answers['interpreter-used']?.value;
  if (typeof used !== 'string') {
    return undefined;
  }
  if (used !== 'used') {
    const reason = answers['interpreter-not-needed-reason']?.value;
    return typeof reason === 'string' && reason.trim() !== '' ? { used: false, reason } : { used: false };
  }
  const nameOrId = answers['interpreter-id']?.value;
  const modality = answers['interpreter-modality'];
  return {
    used: true,
    ...(typeof nameOrId === 'string' ? { nameOrId } : {}),
    ...(modality === undefined ? {} : { modality: answerText(checklist, 'interpreter-modality', modality) }),
    ...(record.preferredLanguage === undefined ? {} : { language: record.preferredLanguage }),
  };
}

function patientOf(record: NoteRecord, patient: NoteInputSources['patient']): DiscussionNoteInput['patient'] {
  return {
    id: record.patientId,
    ...(patient?.name === undefined ? {} : { name: patient.name }),
    ...(patient?.birthDate === undefined ? {} : { birthDate: patient.birthDate }),
    ...(patient?.mrn === undefined ? {} : { mrn: patient.mrn }),
  };
}

function flagsOf(record: NoteRecord): DiscussionNoteInput['flagsShown'] {
  const dismissed = new Map(record.dismissedFlags.map((f) => [f.flagId, f.reason]));
  return record.flagsShown.map((f) => {
    const reason = dismissed.get(f.id);
    return { id: f.id, title: f.title, audience: f.audience, ...(reason === undefined ? {} : { dismissed: { reason } }) };
  });
}

/** Each unchecked area with whether the clinician confirmed reviewing it in the chart (`isAreaConfirmed`). */
export function uncheckedAreaLines(checklist: Checklist, record: Pick<NoteRecord, 'uncheckedAreas' | 'answers'>): DiscussionNoteInput['uncheckedAreas'] {
  return record.uncheckedAreas.map((area) => ({ text: area.text, reviewed: isAreaConfirmed(checklist, record.answers, area.flag) }));
}

export function noteInputFor(sources: NoteInputSources): DiscussionNoteInput {
  const { record, checklist, clinician, times } = sources;
  const interpreter = interpreterOf(checklist, record);
  return {
    discussionId: record.id,
    patient: patientOf(record, sources.patient),
    ...(record.encounterId === undefined ? {} : { encounterId: record.encounterId }),
    clinician: { reference: clinician.reference, ...(clinician.name === undefined ? {} : { name: clinician.name }) },
    discussedAt: times.attestedAt,
    periodStart: times.periodStart,
    periodEnd: times.periodEnd,
    handout: {
      id: record.pack.id,
      title: record.pack.title,
      version: record.pack.version,
      language: record.pack.language,
      interpreterNeeded: record.interpreterNeeded,
      ...(sources.pdfSha256 === undefined ? {} : { pdfSha256: sources.pdfSha256 }),
    },
    scenario: noteScenarioOf(sources.scenario),
    flagsShown: flagsOf(record),
    uncheckedAreas: uncheckedAreaLines(checklist, record),
    checklist: checklistLines(checklist, record.answers),
    teachBack: answerText(checklist, 'teach-back', record.answers['teach-back']),
    ...(interpreter === undefined ? {} : { interpreter }),
    clinicianNotes: record.clinicianNotes.map((n) => n.text),
    appVersion: sources.appVersion,
    ...(record.chartRead === undefined ? {} : { chartRead: record.chartRead }),
  };
}
