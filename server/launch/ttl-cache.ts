/**
 * A per-process cache for what the launch reads from an EHR (discovery documents, signing keys). Only answers are
 * kept, never failures: one 500 or one slow answer must not disable launches from that EHR until a restart (the
 * trap fhirclient's own discovery cache sets). Callers asking while a load is running share it, so a burst of
 * launches makes one request, not one each.
 */
interface Entry<T> {
  value: Promise<T>;
  /** When the loaded value stops being served; Infinity while the load is still running. */
  expiresAt: number;
}

export interface TtlCache<T> {
  /** The cached value for `key`, or the result of `load()` (kept for the TTL only if it succeeds). */
  get(key: string, load: () => Promise<T>): Promise<T>;
  /** Loads `key` again even if a value is cached (an in-flight load is joined, not duplicated). */
  reload(key: string, load: () => Promise<T>): Promise<T>;
}

export function createTtlCache<T>(ttlMs: number, now: () => number = Date.now): TtlCache<T> {
  const entries = new Map<string, Entry<T>>();
  const start = (key: string, load: () => Promise<T>): Promise<T> => {
    const value = load();
    const entry: Entry<T> = { value, expiresAt: Number.POSITIVE_INFINITY };
    entries.set(key, entry);
    value.then(
      () => {
        entry.expiresAt = now() + ttlMs;
      },
      () => {
        // A newer load may have replaced this one meanwhile; only drop our own failed entry.
        if (entries.get(key) === entry) {
          entries.delete(key);
        }
      },
    );
    return value;
  };
  return {
    get(key, load) {
      const entry = entries.get(key);
      return entry !== undefined && entry.expiresAt > now() ? entry.value : start(key, load);
    },
    reload(key, load) {
      const entry = entries.get(key);
      return entry !== undefined && entry.expiresAt === Number.POSITIVE_INFINITY ? entry.value : start(key, load);
    },
  };
}
