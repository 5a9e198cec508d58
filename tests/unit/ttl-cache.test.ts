import { createTtlCache } from '../../server/launch/ttl-cache';

/**
 * The cache behind discovery and signing keys: answers kept for their TTL, failures never kept (one EHR hiccup
 * must not disable launches until a restart), and concurrent askers sharing one request.
 */
describe('ttl cache', () => {
  let clock = 0;
  const now = (): number => clock;

  beforeEach(() => {
    clock = 1_000;
  });

  test('a failed load is not kept: the next ask loads again and its answer is served', async () => {
    const cache = createTtlCache<string>(60_000, now);
    let calls = 0;
    const load = (): Promise<string> => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('EHR answered 500')) : Promise.resolve('config');
    };
    await expect(cache.get('tenant', load)).rejects.toThrow('500');
    await expect(cache.get('tenant', load)).resolves.toBe('config');
    await expect(cache.get('tenant', load)).resolves.toBe('config');
    expect(calls).toBe(2);
  });

  test('concurrent asks share one in-flight load', async () => {
    const cache = createTtlCache<string>(60_000, now);
    let calls = 0;
    let finish: (value: string) => void = () => undefined;
    const load = (): Promise<string> => {
      calls += 1;
      return new Promise((resolve) => {
        finish = resolve;
      });
    };
    const both = Promise.all([cache.get('tenant', load), cache.get('tenant', load)]);
    finish('config');
    await expect(both).resolves.toEqual(['config', 'config']);
    expect(calls).toBe(1);
  });

  test('an answer is served until its TTL passes, then loaded again', async () => {
    const cache = createTtlCache<number>(60_000, now);
    let calls = 0;
    const load = (): Promise<number> => Promise.resolve((calls += 1));
    await cache.get('tenant', load);
    clock += 59_999;
    await expect(cache.get('tenant', load)).resolves.toBe(1);
    clock += 1;
    await expect(cache.get('tenant', load)).resolves.toBe(2);
  });

  test('keys are separate, and reload replaces a cached answer but joins a running load', async () => {
    const cache = createTtlCache<string>(60_000, now);
    await cache.get('a', () => Promise.resolve('a1'));
    await expect(cache.get('b', () => Promise.resolve('b1'))).resolves.toBe('b1');
    await expect(cache.reload('a', () => Promise.resolve('a2'))).resolves.toBe('a2');
    await expect(cache.get('a', () => Promise.resolve('a3'))).resolves.toBe('a2');
    let calls = 0;
    const slow = (): Promise<string> => {
      calls += 1;
      return new Promise((resolve) => setTimeout(() => resolve('c'), 10));
    };
    await Promise.all([cache.get('c', slow), cache.reload('c', slow)]);
    expect(calls).toBe(1);
  });
});
