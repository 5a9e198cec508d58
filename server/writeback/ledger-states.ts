/**
 * The write ledger's state machine as a pure table (ARCHITECTURE.md §4 "Write ledger entry"; security-reliability.md
 * §4.2–4.3). The one rule everything else serves: a POST whose outcome is not known is never sent again until a
 * search of the chart has proved that nothing was stored.
 *
 * ```
 * pending ──send──► sent ──confirm──► confirmed ──retract──► entered-in-error
 *    ▲               │ │ └─created (id known, read-back to do)─► sent
 *    │               │ └──reject──► failed            (400/403/404/412/422, read-back mismatch: never re-sent)
 *    ├─not-applied───┤                                 (429/503/401/refused: the EHR did not take it)
 *    │               └──lose──► unknown                (timeout, reset, 5xx after the request left)
 *    └──found-none──── unknown | sent ──found-one──► reconciled ──retract──► entered-in-error
 *                                     └─found-several─► failed (duplicates_in_chart, for a human)
 * ```
 * `defer` keeps an open intent where it is while recording why and when to look again (a failed search, a
 * read-back that could not be made, a token that only a relaunch can renew).
 * A `sent` intent whose process died (its lease ran out) is reconciled exactly like an `unknown` one.
 */

export const LEDGER_STATES = ['pending', 'sent', 'unknown', 'confirmed', 'reconciled', 'failed', 'entered-in-error'] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

export const LEDGER_EVENTS = [
  'send',
  'created',
  'confirm',
  'not-applied',
  'reject',
  'lose',
  'found-one',
  'found-none',
  'found-several',
  'retract',
  'defer',
] as const;
export type LedgerEvent = (typeof LEDGER_EVENTS)[number];

export type TransitionResult = { ok: true; to: LedgerState } | { ok: false; reason: string };

/** Every allowed move; anything not listed is refused. */
const TABLE: Readonly<Record<LedgerEvent, Partial<Record<LedgerState, LedgerState>>>> = {
  send: { pending: 'sent' },
  created: { sent: 'sent' },
  confirm: { sent: 'confirmed' },
  'not-applied': { sent: 'pending' },
  reject: { sent: 'failed' },
  lose: { sent: 'unknown' },
  'found-one': { sent: 'reconciled', unknown: 'reconciled' },
  'found-none': { sent: 'pending', unknown: 'pending' },
  'found-several': { sent: 'failed', unknown: 'failed' },
  retract: { confirmed: 'entered-in-error', reconciled: 'entered-in-error' },
  defer: { pending: 'pending', sent: 'sent', unknown: 'unknown' },
};

/** States no event leaves on its own: the note is in the chart, or a human must look. */
const FINAL: ReadonlySet<LedgerState> = new Set(['confirmed', 'reconciled', 'failed', 'entered-in-error']);

export function isLedgerState(value: unknown): value is LedgerState {
  return typeof value === 'string' && (LEDGER_STATES as readonly string[]).includes(value);
}

/** Where `event` takes an intent in `state`, or why it cannot. */
export function transition(state: LedgerState, event: LedgerEvent): TransitionResult {
  const to = TABLE[event][state];
  return to === undefined ? { ok: false, reason: `"${event}" is not allowed in state "${state}"` } : { ok: true, to };
}

/** True once the intent needs nothing more from the app (filed, reconciled, failed for a human, or retracted). */
export function isFinal(state: LedgerState): boolean {
  return FINAL.has(state);
}

/** The note is in the chart under a known id. */
export function isFiled(state: LedgerState): boolean {
  return state === 'confirmed' || state === 'reconciled';
}
