/**
 * "Refresh from the chart" tells the clinician what changed since the chart was read: a new or resolved tailoring
 * flag, a medication added, stopped or changed, a read that now works or now fails.
 */
import type { Bundle } from 'fhir/r4';
import { buildPatientContext } from '../../server/chart/patient-context';
import type { PatientContext } from '../../server/chart/patient-context';
import { diffSnapshots } from '../../server/chart-snapshot/snapshot-diff';
import { tailor } from '../../server/tailoring/engine';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';
import { loadSyntheticBundle } from '../support/synthetic-patients';

const NOW = new Date('2026-11-25T12:00:00Z');

function contextOf(bundle: Bundle, change: (b: Bundle) => Bundle = (b) => b, failed: 'conditions' | undefined = undefined): PatientContext {
  const changed = change(structuredClone(bundle));
  const patient = changed.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource;
  const reads = chartReadsFromBundle(changed, { patientId: patient?.id ?? '' },
    failed === undefined ? {} : { overrides: { [failed]: { kind: 'failed', reason: 'timeout' } } });
  return buildPatientContext(reads, NOW);
}

const side = (context: PatientContext): { context: PatientContext; tailoring: ReturnType<typeof tailor> } => ({ context, tailoring: tailor(context) });

/** The chart before the blood thinner: no apixaban order and no "long term use of anticoagulants" diagnosis. */
const beforeTheBloodThinner = (b: Bundle): Bundle => ({
  ...b,
  entry: (b.entry ?? []).filter((e) => !['MedicationRequest', 'Medication'].includes(e.resource?.resourceType ?? '') && e.resource?.id !== 'anticoagulant-condition-anticoag-use'),
});

describe('what changed in the chart between two reads', () => {
  const anticoagulant = loadSyntheticBundle('anticoagulant.json');

  test('the same chart read twice: no changes', () => {
    const a = side(contextOf(anticoagulant));
    const changes = diffSnapshots(a, side(contextOf(anticoagulant)));
    expect(changes.none).toBe(true);
  });

  test('a blood thinner prescribed since the last read: its medication added and the bleeding flag raised', () => {
    const before = side(contextOf(anticoagulant, beforeTheBloodThinner));
    const after = side(contextOf(anticoagulant));
    const changes = diffSnapshots(before, after);
    expect(changes.none).toBe(false);
    expect(changes.flagsRaised.map((f) => f.id)).toContain('antithrombotic-bleeding-risk');
    expect(changes.medicationsAdded.length).toBeGreaterThan(0);
    expect(changes.medicationsAdded.some((m) => /apixaban/i.test(m.display))).toBe(true);
    expect(changes.flagsResolved).toEqual([]);
    expect(diffSnapshots(after, before).flagsResolved.map((f) => f.id)).toContain('antithrombotic-bleeding-risk');
  });

  test('an order whose status changed is reported as changed, with what it was', () => {
    const stopped = (b: Bundle): Bundle => ({
      ...b,
      entry: (b.entry ?? []).map((e) => (e.resource?.resourceType === 'MedicationRequest' ? { ...e, resource: { ...(e.resource), status: 'on-hold' } } : e)),
    });
    const changes = diffSnapshots(side(contextOf(anticoagulant)), side(contextOf(anticoagulant, stopped)));
    expect(changes.medicationsChanged.length).toBeGreaterThan(0);
    expect(changes.medicationsChanged[0]?.before).toBeDefined();
  });

  test('a read that failed and now succeeds is reported', () => {
    const changes = diffSnapshots(side(contextOf(anticoagulant, undefined, 'conditions')), side(contextOf(anticoagulant)));
    expect(changes.readsChanged).toEqual([{ read: 'conditions', before: 'failed', after: 'ok' }]);
  });
});
