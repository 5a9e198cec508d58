import type { LedgerEvent, LedgerState } from '../../server/writeback/ledger-states';
import { isFiled, isFinal, LEDGER_EVENTS, LEDGER_STATES, transition } from '../../server/writeback/ledger-states';

/**
 * The write ledger's state machine: every allowed move, and — as important for "exactly one note" — every move that
 * must be refused (above all: nothing whose outcome is unknown may go back to being sent without a search).
 */
const ALLOWED: Array<[LedgerState, LedgerEvent, LedgerState]> = [
  ['pending', 'send', 'sent'],
  ['sent', 'created', 'sent'],
  ['sent', 'confirm', 'confirmed'],
  ['sent', 'not-applied', 'pending'],
  ['sent', 'reject', 'failed'],
  ['sent', 'lose', 'unknown'],
  ['sent', 'found-one', 'reconciled'],
  ['sent', 'found-none', 'pending'],
  ['sent', 'found-several', 'failed'],
  ['unknown', 'found-one', 'reconciled'],
  ['unknown', 'found-none', 'pending'],
  ['unknown', 'found-several', 'failed'],
  ['confirmed', 'retract', 'entered-in-error'],
  ['reconciled', 'retract', 'entered-in-error'],
  ['pending', 'defer', 'pending'],
  ['sent', 'defer', 'sent'],
  ['unknown', 'defer', 'unknown'],
];

describe('transition', () => {
  test.each(ALLOWED)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toEqual({ ok: true, to });
  });

  test('every other pair of state and event is refused, with a reason naming both', () => {
    const allowed = new Set(ALLOWED.map(([from, event]) => `${from}:${event}`));
    let refused = 0;
    for (const state of LEDGER_STATES) {
      for (const event of LEDGER_EVENTS) {
        if (allowed.has(`${state}:${event}`)) {
          continue;
        }
        const result = transition(state, event);
        expect(result.ok).toBe(false);
        expect(result.ok ? '' : result.reason).toContain(`"${event}"`);
        expect(result.ok ? '' : result.reason).toContain(`"${state}"`);
        refused += 1;
      }
    }
    expect(refused).toBe(LEDGER_STATES.length * LEDGER_EVENTS.length - ALLOWED.length);
  });

  test('an unknown outcome is never sent again directly: only a search (found-none) makes it pending', () => {
    expect(transition('unknown', 'send').ok).toBe(false);
    expect(transition('unknown', 'not-applied').ok).toBe(false);
    const toPending = LEDGER_EVENTS.filter((event) => {
      const result = transition('unknown', event);
      return result.ok && result.to === 'pending';
    });
    expect(toPending).toEqual(['found-none']);
  });

  test('a note in the chart or refused for good is never sent again', () => {
    for (const state of ['confirmed', 'reconciled', 'failed', 'entered-in-error'] as const) {
      expect(transition(state, 'send').ok).toBe(false);
      expect(transition(state, 'found-none').ok).toBe(false);
    }
  });

  test('only a filed note can be marked entered-in-error', () => {
    const from = LEDGER_STATES.filter((state) => transition(state, 'retract').ok);
    expect(from).toEqual(['confirmed', 'reconciled']);
  });
});

describe('isFinal and isFiled', () => {
  test('final: filed, reconciled, failed or retracted; open: pending, sent, unknown', () => {
    expect(LEDGER_STATES.filter(isFinal)).toEqual(['confirmed', 'reconciled', 'failed', 'entered-in-error']);
    expect(LEDGER_STATES.filter(isFiled)).toEqual(['confirmed', 'reconciled']);
  });
});
