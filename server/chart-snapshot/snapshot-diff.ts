/**
 * What changed between two reads of the chart, in the terms a clinician checks before the discussion goes on: the
 * tailoring flags raised or resolved, medications added, stopped or changed, and reads that now succeed or fail.
 * Pure. Identities are the FHIR references (a renamed drug on the same order is "changed", not "added").
 */
import type { MedicationFact, PatientContext } from '../chart/patient-context';
import type { ChartReadName } from '../chart/read-chart';
import type { TailoringResult } from '../tailoring/types';

export interface FlagChange {
  id: string;
  title: string;
}

export interface MedicationChange {
  reference: string;
  display: string;
  /** For `changed`: what it was. */
  before?: string;
}

export interface ReadChange {
  read: ChartReadName;
  before: string;
  after: string;
}

export interface SnapshotChanges {
  flagsRaised: FlagChange[];
  flagsResolved: FlagChange[];
  medicationsAdded: MedicationChange[];
  medicationsRemoved: MedicationChange[];
  medicationsChanged: MedicationChange[];
  readsChanged: ReadChange[];
  /** Nothing above changed. */
  none: boolean;
}

interface Side {
  context: PatientContext;
  tailoring: TailoringResult;
}

/** The parts of a medication a clinician would call a change: name, status, route. */
const medicationSummary = (m: MedicationFact): string => [m.display, m.status, m.route ?? ''].join(' | ');

export function diffSnapshots(before: Side, after: Side): SnapshotChanges {
  const flagsBefore = new Map(before.tailoring.flags.map((f) => [f.id, f]));
  const flagsAfter = new Map(after.tailoring.flags.map((f) => [f.id, f]));
  const medsBefore = new Map(before.context.medications.map((m) => [m.reference, m]));
  const medsAfter = new Map(after.context.medications.map((m) => [m.reference, m]));
  const flag = (f: { id: string; title: string }): FlagChange => ({ id: f.id, title: f.title });
  const med = (m: MedicationFact): MedicationChange => ({ reference: m.reference, display: m.display });
  const changes: Omit<SnapshotChanges, 'none'> = {
    flagsRaised: [...flagsAfter.values()].filter((f) => !flagsBefore.has(f.id)).map(flag),
    flagsResolved: [...flagsBefore.values()].filter((f) => !flagsAfter.has(f.id)).map(flag),
    medicationsAdded: [...medsAfter.values()].filter((m) => !medsBefore.has(m.reference)).map(med),
    medicationsRemoved: [...medsBefore.values()].filter((m) => !medsAfter.has(m.reference)).map(med),
    medicationsChanged: [...medsAfter.values()].flatMap((m) => {
      const old = medsBefore.get(m.reference);
      return old === undefined || medicationSummary(old) === medicationSummary(m) ? [] : [{ ...med(m), before: old.display }];
    }),
    readsChanged: (Object.keys(after.context.reads) as ChartReadName[]).flatMap((read) => {
      const was = before.context.reads[read]?.state ?? 'not-in-context';
      const now = after.context.reads[read].state;
      return was === now ? [] : [{ read, before: was, after: now }];
    }),
  };
  const none = Object.values(changes).every((list) => list.length === 0);
  return { ...changes, none };
}
