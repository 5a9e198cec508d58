/**
 * The documentation-gap rule (pure): given the pump procedures done or scheduled in a date range and the patients'
 * filed notes, which procedures had no ITDD consent-discussion note on file before them.
 *
 * A procedure is documented when the chart holds, for the same patient, an ITDD discussion note that is current
 * (DocumentReference.status `current`, docStatus not `entered-in-error`) and dated (`date`, when it was filed)
 * strictly before the procedure's date. A procedure dated by day only counts from the start of that day (UTC), so a
 * note filed the same day is not "before" it. An ITDD discussion note is one the app filed (its id is in the write
 * ledger) or one that carries the note type text every write profile sends. Everything else is a gap, with its reason.
 */
import type { DocumentReference, Procedure, Resource, ServiceRequest } from 'fhir/r4';
import type { PumpCode, PumpCodeSet, PumpProcedureKind } from './pump-codes';

/** `type.text` every write profile files the note with (`fhir-resources/document-reference/core.ts`). */
export { NOTE_TYPE_TEXT } from '../../fhir-resources/document-reference/core';
import { NOTE_TYPE_TEXT } from '../../fhir-resources/document-reference/core';

export interface DateRange {
  /** Inclusive, an instant (ms since the epoch). */
  from: number;
  /** Exclusive. */
  to: number;
}

/** A pump procedure done (Procedure) or ordered and scheduled (ServiceRequest). */
export interface PumpEvent {
  resourceType: 'Procedure' | 'ServiceRequest';
  id: string;
  patientId: string;
  code: string;
  codeSystem: string;
  display: string;
  kind: PumpProcedureKind;
  /** As the chart gives it (`performedDateTime`, `occurrenceDateTime`, or a period's start). */
  date: string;
  /** The earliest instant `date` can mean (ms). */
  at: number;
  /** The resource's own status (`completed`, `preparation`, `active`…). */
  status: string;
  state: 'done' | 'scheduled';
}

export interface ChartNote {
  id: string;
  patientId: string;
  status: string;
  docStatus?: string;
  date?: string;
  itdd: boolean;
}

/** What the app's write ledger says it filed for a patient (document ids, states). */
export interface LedgerFiling {
  documentId: string;
  patientId: string;
  state: string;
}

export const GAP_REASONS = {
  no_note: 'no ITDD discussion note on file for this patient',
  note_after_procedure: 'the ITDD discussion note was filed on or after the procedure date',
  note_entered_in_error: 'the only ITDD discussion note before the procedure was entered in error',
  filed_note_not_in_chart: 'the app filed a note, but the chart does not return it as a current note',
} as const;
export type GapReason = keyof typeof GAP_REASONS;

export interface GapRow {
  patientId: string;
  procedure: PumpEvent;
  reason: GapReason;
  /** The notes the reason is about (ITDD notes after the procedure, entered in error, or missing from the chart). */
  noteIds: string[];
}

export interface DocumentedRow {
  patientId: string;
  procedure: PumpEvent;
  /** The ITDD notes filed before it. */
  noteIds: string[];
}

const DONE: ReadonlySet<string> = new Set(['completed', 'in-progress']);
const SCHEDULED_PROCEDURE: ReadonlySet<string> = new Set(['preparation']);
const SCHEDULED_ORDER: ReadonlySet<string> = new Set(['active']);
const DATE_ONLY = /^\d{4}(-\d{2}(-\d{2})?)?$/;

/** The earliest instant a FHIR date or dateTime can mean (a date alone: its first day, 00:00 UTC). */
export function earliestInstant(value: string | undefined): number | undefined {
  if (value === undefined || value.length > 40) {
    return undefined;
  }
  const padded = DATE_ONLY.test(value) ? `${value}${['-01-01', '-01', ''][(value.length - 4) / 3] ?? ''}T00:00:00Z` : value;
  const at = Date.parse(padded);
  return Number.isNaN(at) ? undefined : at;
}

function patientOf(reference: string | undefined): string | undefined {
  const match = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(reference ?? '');
  return match?.[1];
}

function pumpCodeOf(codes: PumpCodeSet, resource: Procedure | ServiceRequest): PumpCode | undefined {
  for (const coding of resource.code?.coding ?? []) {
    const found = codes.bySystemCode.get(`${coding.system ?? ''}|${coding.code ?? ''}`);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

/**
 * A Procedure or ServiceRequest as a pump event, when it carries a verified pump code, names its patient, is done
 * (`completed`, `in-progress`) or scheduled (a Procedure in `preparation`, an `active` order) and is dated in range.
 * The EHR's own search filter is not trusted: every condition is checked again here.
 */
export function pumpEventOf(value: Resource, codes: PumpCodeSet, range: DateRange): PumpEvent | undefined {
  if (value.resourceType !== 'Procedure' && value.resourceType !== 'ServiceRequest') {
    return undefined;
  }
  const resource = value as Procedure | ServiceRequest;
  const code = pumpCodeOf(codes, resource);
  const patientId = patientOf(resource.subject?.reference);
  if (code === undefined || patientId === undefined || resource.id === undefined) {
    return undefined;
  }
  let date: string | undefined;
  let state: PumpEvent['state'] | undefined;
  if (resource.resourceType === 'Procedure') {
    date = resource.performedDateTime ?? resource.performedPeriod?.start;
    if (DONE.has(resource.status)) {
      state = 'done';
    } else if (SCHEDULED_PROCEDURE.has(resource.status)) {
      state = 'scheduled';
    }
  } else {
    date = resource.occurrenceDateTime ?? resource.occurrencePeriod?.start;
    state = SCHEDULED_ORDER.has(resource.status) ? 'scheduled' : undefined;
  }
  const at = earliestInstant(date);
  if (state === undefined || at === undefined || date === undefined || at < range.from || at >= range.to) {
    return undefined;
  }
  return {
    resourceType: resource.resourceType,
    id: resource.id,
    patientId,
    code: code.code,
    codeSystem: code.system,
    display: code.display,
    kind: code.kind,
    date,
    at,
    status: resource.status,
    state,
  };
}

/** A DocumentReference as a chart note; `itdd` when the app's ledger filed it or it carries the ITDD note type. */
export function chartNoteOf(resource: DocumentReference, filedIds: ReadonlySet<string>): ChartNote | undefined {
  const patientId = patientOf(resource.subject?.reference);
  if (resource.id === undefined || patientId === undefined) {
    return undefined;
  }
  return {
    id: resource.id,
    patientId,
    status: resource.status,
    ...(resource.docStatus === undefined ? {} : { docStatus: resource.docStatus }),
    ...(resource.date === undefined ? {} : { date: resource.date }),
    itdd: filedIds.has(resource.id) || resource.type?.text === NOTE_TYPE_TEXT,
  };
}

const isCurrent = (note: ChartNote): boolean => note.status === 'current' && note.docStatus !== 'entered-in-error';

/** Gaps and documented procedures, each list in procedure date order (then patient, then id). */
export function findGaps(
  events: readonly PumpEvent[],
  notes: readonly ChartNote[],
  ledger: readonly LedgerFiling[] = [],
): { gaps: GapRow[]; documented: DocumentedRow[] } {
  const gaps: GapRow[] = [];
  const documented: DocumentedRow[] = [];
  const sorted = [...events].sort((a, b) => a.at - b.at || a.patientId.localeCompare(b.patientId) || a.id.localeCompare(b.id));
  for (const event of sorted) {
    const itdd = notes.filter((n) => n.patientId === event.patientId && n.itdd);
    const before = itdd.filter((n) => (earliestInstant(n.date) ?? Infinity) < event.at);
    const good = before.filter(isCurrent);
    if (good.length > 0) {
      documented.push({ patientId: event.patientId, procedure: event, noteIds: good.map((n) => n.id) });
      continue;
    }
    gaps.push({ patientId: event.patientId, procedure: event, ...gapReasonOf(event, itdd, before, ledger) });
  }
  return { gaps, documented };
}

function gapReasonOf(event: PumpEvent, itdd: ChartNote[], before: ChartNote[], ledger: readonly LedgerFiling[]): { reason: GapReason; noteIds: string[] } {
  if (before.length > 0) {
    return { reason: 'note_entered_in_error', noteIds: before.map((n) => n.id) };
  }
  const missing = ledger.filter((f) => f.patientId === event.patientId && f.state !== 'entered-in-error' && !itdd.some((n) => n.id === f.documentId));
  if (missing.length > 0) {
    return { reason: 'filed_note_not_in_chart', noteIds: missing.map((f) => f.documentId) };
  }
  // None is dated before the procedure, so every current one is on or after it.
  const after = itdd.filter(isCurrent);
  if (after.length > 0) {
    return { reason: 'note_after_procedure', noteIds: after.map((n) => n.id) };
  }
  return { reason: 'no_note', noteIds: [] };
}
