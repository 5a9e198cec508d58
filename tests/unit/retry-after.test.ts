import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  planRetry,
} from '../../server/writeback/retry-after';

/** Retry-After in both RFC 9110 forms, junk refused, caps, and full-jitter backoff bounds. */
const NOW = Date.parse('2026-11-24T15:00:00Z');

describe('parseRetryAfter', () => {
  test.each([
    ['0', 0],
    ['2', 2_000],
    [' 120 ', 120_000],
  ])('delta-seconds %j → %d ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  test('an HTTP-date (IMF-fixdate) gives the time until then', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 15:00:05 GMT', NOW)).toBe(5_000);
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
  });

  test('the obsolete RFC 850 and asctime date forms are understood too', () => {
    expect(parseRetryAfter('Tuesday, 24-Nov-26 15:00:07 GMT', NOW)).toBe(7_000);
    expect(parseRetryAfter('Tue Nov 24 15:00:09 2026', Date.parse('2026-11-24T15:00:00'))).toBe(9_000);
  });

  test('a date in the past means "now" (0), never a negative wait', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 14:00:00 GMT', NOW)).toBe(0);
  });

  test.each([undefined, null, '', '   ', '-5', '1.5', '2s', 'soon', 'tomorrow', '0x10', '1e3', 'Mon, 99 Foo 2026 25:61:61 GMT', '12345678901'])(
    'junk %j is not a Retry-After',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );

  test('a far-future wait is capped at a day, in both forms', () => {
    expect(parseRetryAfter('9999999', NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Fri, 31 Dec 2100 23:59:59 GMT', NOW)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('backoffDelay (full jitter)', () => {
  const policy = { baseMs: 500, capMs: 8_000 };

  test('stays in [0, min(cap, base·2^n)) for the lowest and highest random values', () => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
      expect(backoffDelay(attempt, policy, () => 0)).toBe(0);
      const top = backoffDelay(attempt, policy, () => 0.999_999_9);
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThanOrEqual(ceiling - 1);
    }
  });

  test('grows with the attempt and is capped', () => {
    const half = (attempt: number): number => backoffDelay(attempt, policy, () => 0.5);
    expect([0, 1, 2, 3, 4, 5, 20].map(half)).toEqual([250, 500, 1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  test('random values outside [0, 1) cannot escape the bounds', () => {
    expect(backoffDelay(3, policy, () => 7)).toBeLessThan(4_000);
    expect(backoffDelay(3, policy, () => -1)).toBe(0);
  });

  test('with the real random source, many draws all stay within bounds and are spread out', () => {
    const draws = Array.from({ length: 500 }, () => backoffDelay(2, policy));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(2_000);
    expect(new Set(draws).size).toBeGreaterThan(50);
  });
});

describe('planRetry', () => {
  test('honours Retry-After when it is short', () => {
    expect(planRetry('2', 1, NOW)).toEqual({ kind: 'wait', ms: 2_000 });
    expect(planRetry('Tue, 24 Nov 2026 15:00:03 GMT', 1, NOW)).toEqual({ kind: 'wait', ms: 3_000 });
  });

  test('without Retry-After (or with junk) backs off with jitter', () => {
    expect(planRetry(null, 1, NOW, DEFAULT_RETRY_POLICY, () => 0.5)).toEqual({ kind: 'wait', ms: 250 });
    expect(planRetry('later', 3, NOW, DEFAULT_RETRY_POLICY, () => 0.5)).toEqual({ kind: 'wait', ms: 1_000 });
  });

  test('a wait longer than the in-place limit is left for later, at the time the EHR asked for', () => {
    expect(planRetry('3600', 1, NOW)).toEqual({ kind: 'later', ms: 3_600_000 });
  });

  test('attempts are bounded: the last allowed send is not followed by another', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 };
    expect(planRetry('1', 2, NOW, policy).kind).toBe('wait');
    expect(planRetry('1', 3, NOW, policy)).toEqual({ kind: 'later', ms: 1_000 });
    expect(planRetry(null, 3, NOW, policy, () => 0).kind).toBe('later');
  });
});
