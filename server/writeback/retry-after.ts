/**
 * When to try a write again after the EHR said "not now" (429 Too Many Requests, 503 Service Unavailable), pure.
 *
 * - `Retry-After` is honoured in both forms RFC 9110 §10.2.3 allows: delta-seconds (`120`) or an HTTP-date
 *   (`Fri, 31 Dec 1999 23:59:59 GMT`); RFC 6585 §4 says a 429 MAY carry it (security-reliability.md §4.3).
 * - Without one: exponential backoff with full jitter (a random wait between 0 and min(cap, base·2^attempt)), so
 *   many clients refused at once do not all come back at once.
 * - Bounded: a wait longer than `maxWaitMs`, or more than `maxAttempts` sends, is not waited out in the request:
 *   the intent stays `pending` (nothing was stored) with the time the EHR asked for, for a later resume.
 */

export interface RetryPolicy {
  /** Sends per drive, the first included (default 5). */
  maxAttempts: number;
  /** Backoff base (default 500 ms). */
  baseMs: number;
  /** Backoff cap (default 8 s). */
  capMs: number;
  /** The longest single wait done in place (default 30 s). */
  maxWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseMs: 500, capMs: 8_000, maxWaitMs: 30_000 };

/** The longest wait the app will ever record from a Retry-After (a day): a far-future date is not believed. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

const DELTA_SECONDS = /^\d{1,10}$/;
/** IMF-fixdate, RFC 850 and asctime: the three HTTP-date forms (RFC 9110 §5.6.7) — a weekday name starts each. */
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? [\w :-]{15,40}$/;

/**
 * The wait a `Retry-After` value asks for, in milliseconds (0 for a date already past), capped at a day.
 * @returns undefined for an absent, empty, negative, fractional or otherwise malformed value.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim() ?? '';
  if (DELTA_SECONDS.test(text)) {
    return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  }
  if (!HTTP_DATE.test(text)) {
    return undefined;
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

/**
 * Full-jitter backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base·2^n)).
 * @param attempt - 0 for the wait after the first refusal.
 * @param random - a number in [0, 1); injected for tests.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.floor(Math.min(Math.max(random(), 0), 0.999999) * ceiling);
}

export type RetryPlan = { kind: 'wait'; ms: number } | { kind: 'later'; ms: number };

/**
 * What to do after refusal number `attempt` (1 = the first send was refused): wait `ms` and send again, or stop
 * and leave the intent pending with a retry time `ms` from now.
 */
export function planRetry(
  retryAfter: string | null | undefined,
  attempt: number,
  nowMs: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): RetryPlan {
  const asked = parseRetryAfter(retryAfter, nowMs);
  const ms = asked ?? backoffDelay(attempt - 1, policy, random);
  if (attempt >= policy.maxAttempts || ms > policy.maxWaitMs) {
    return { kind: 'later', ms: Math.max(ms, policy.baseMs) };
  }
  return { kind: 'wait', ms };
}
