import { csvCell, gapCsv } from '../../server/gap-report/gap-csv';
import type { GapReport } from '../../server/gap-report/gap-report';
import { rangeOf } from '../../server/gap-report/gap-report';
import type { ChartNote, PumpEvent } from '../../server/gap-report/gap-rules';
import { chartNoteOf, earliestInstant, findGaps, NOTE_TYPE_TEXT, pumpEventOf } from '../../server/gap-report/gap-rules';
import { loadPumpCodes, pumpCodesOf } from '../../server/gap-report/pump-codes';

/** The gap rule, pure: which procedures count, which notes count, and why a procedure is a gap. */
const CPT = 'http://www.ama-assn.org/go/cpt';
const codes = loadPumpCodes();
const range = rangeOf({ from: '2026-11-01', to: '2027-01-01' });

const procedure = (over: Record<string, unknown> = {}): Record<string, unknown> & { resourceType: 'Procedure' } => ({
  resourceType: 'Procedure' as const,
  id: 'p1',
  status: 'completed',
  subject: { reference: 'Patient/a' },
  code: { coding: [{ system: CPT, code: '62362' }] },
  performedDateTime: '2026-11-12T09:30:00Z',
  ...over,
});

const event = (over: Partial<PumpEvent> = {}): PumpEvent => ({ ...(pumpEventOf(procedure(), codes, range) as PumpEvent), ...over });
const note = (over: Partial<ChartNote> = {}): ChartNote => ({ id: 'n1', patientId: 'a', status: 'current', docStatus: 'final', date: '2026-11-02T10:00:00Z', itdd: true, ...over });

describe('which procedures the report looks at', () => {
  it('takes the verified implant, replacement and catheter codes, and says the trial has none', () => {
    expect(codes.codes.map((c) => c.code).sort()).toEqual(['62350', '62351', '62360', '62361', '62362']);
    expect(codes.notCovered).toEqual(['trial']);
  });

  it('ignores entries the terminology marks unverified', () => {
    const set = pumpCodesOf({ trialInjectionOrInfusion: [{ system: CPT, code: '62323', display: 'x', verified: false }], pumpImplantOrRemoval: [], intrathecalCatheter: [] });
    expect(set.codes).toEqual([]);
    expect(set.notCovered).toEqual(['trial', 'pump implant or replacement', 'catheter implant, revision or repositioning']);
  });

  it.each([
    ['a completed implant', procedure(), 'done'],
    ['a procedure in preparation', procedure({ status: 'preparation' }), 'scheduled'],
    ['an active order', { resourceType: 'ServiceRequest', id: 's1', status: 'active', intent: 'order', subject: { reference: 'Patient/a' }, code: { coding: [{ system: CPT, code: '62360' }] }, occurrenceDateTime: '2026-12-20' }, 'scheduled'],
  ])('%s counts (%s)', (_name, resource, state) => {
    expect(pumpEventOf(resource as never, codes, range)?.state).toBe(state);
  });

  it.each([
    ['a refill', procedure({ code: { coding: [{ system: CPT, code: '95990' }] } })],
    ['the right code in another system', procedure({ code: { coding: [{ system: 'http://snomed.info/sct', code: '62362' }] } })],
    ['a procedure not done', procedure({ status: 'not-done' })],
    ['an entered-in-error procedure', procedure({ status: 'entered-in-error' })],
    ['a cancelled order', { resourceType: 'ServiceRequest', id: 's1', status: 'revoked', intent: 'order', subject: { reference: 'Patient/a' }, code: { coding: [{ system: CPT, code: '62362' }] }, occurrenceDateTime: '2026-12-05' }],
    ['one before the range', procedure({ performedDateTime: '2026-10-31T23:59:59Z' })],
    ['one on the exclusive end day', procedure({ performedDateTime: '2027-01-01' })],
    ['one with no date', procedure({ performedDateTime: undefined })],
    ['one whose subject is not a Patient', procedure({ subject: { reference: 'Group/g' } })],
  ])('%s does not', (_name, resource) => {
    expect(pumpEventOf(resource as never, codes, range)).toBeUndefined();
  });
});

describe('which notes count and why a procedure is a gap', () => {
  it('a current ITDD note filed before the procedure documents it', () => {
    expect(findGaps([event()], [note()])).toMatchObject({ gaps: [], documented: [{ patientId: 'a', noteIds: ['n1'] }] });
  });

  it.each([
    ['no note at all', [], 'no_note'],
    ['another patient\'s note', [note({ patientId: 'b' })], 'no_note'],
    ['only a note of another kind', [note({ itdd: false })], 'no_note'],
    ['a note filed after the procedure', [note({ date: '2026-11-13T08:00:00Z' })], 'note_after_procedure'],
    ['a note entered in error', [note({ status: 'entered-in-error' })], 'note_entered_in_error'],
    ['a docStatus entered-in-error', [note({ docStatus: 'entered-in-error' })], 'note_entered_in_error'],
    ['an undated note', [note({ date: undefined })], 'note_after_procedure'],
  ])('%s: a gap (%s)', (_name, notes, reason) => {
    expect(findGaps([event()], notes).gaps).toMatchObject([{ patientId: 'a', reason }]);
  });

  it('a procedure dated by day only needs a note from an earlier day', () => {
    const byDay = event({ date: '2026-11-12', at: earliestInstant('2026-11-12') as number });
    expect(findGaps([byDay], [note({ date: '2026-11-12T07:00:00Z' })]).gaps).toMatchObject([{ reason: 'note_after_procedure' }]);
    expect(findGaps([byDay], [note({ date: '2026-11-11T23:00:00Z' })]).gaps).toEqual([]);
  });

  it('a note the ledger filed that the chart does not return is the reason', () => {
    const result = findGaps([event()], [], [{ documentId: 'd9', patientId: 'a', state: 'confirmed' }]);
    expect(result.gaps).toMatchObject([{ reason: 'filed_note_not_in_chart', noteIds: ['d9'] }]);
  });

  it('recognises the ITDD note by the ledger or by its type text, nothing else', () => {
    const doc = { resourceType: 'DocumentReference' as const, id: 'd1', status: 'current' as const, subject: { reference: 'Patient/a' }, content: [] };
    expect(chartNoteOf(doc, new Set())?.itdd).toBe(false);
    expect(chartNoteOf(doc, new Set(['d1']))?.itdd).toBe(true);
    expect(chartNoteOf({ ...doc, type: { text: NOTE_TYPE_TEXT } }, new Set())?.itdd).toBe(true);
  });
});

describe('dates and CSV', () => {
  it.each([['2026-02-30'], ['2026-1-01'], ['yesterday']])('refuses the date %s', (from) => {
    expect(() => rangeOf({ from, to: '2027-01-01' })).toThrow(/must be YYYY-MM-DD/);
  });

  it('neutralises cells a spreadsheet would run as formulas and quotes every cell', () => {
    expect(['=HYPERLINK("x")', '+1', '-2', '@SUM(A1)', '\tx', 'plain'].map(csvCell)).toEqual([
      '"\'=HYPERLINK(""x"")"', '"\'+1"', '"\'-2"', '"\'@SUM(A1)"', '"\'\tx"', '"plain"',
    ]);
    const report: GapReport = { tenantId: 't', from: '2026-11-01', to: '2027-01-01', documented: [], notCovered: [], gaps: [{ ...findGaps([event({ patientId: '-1+2' })], []).gaps[0], reasonText: 'no ITDD discussion note on file for this patient' }] };
    expect(gapCsv(report).split('\r\n')[1]).toMatch(/^"t","'-1\+2","Procedure\/p1"/);
  });
});
