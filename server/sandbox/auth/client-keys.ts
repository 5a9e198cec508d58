import crypto from 'node:crypto';
import type { Clock, SandboxClient } from '../types';

/** SMART asymmetric client auth: "a JWKS URL … is strongly preferred"; we cache it like a real EHR would. */
const CACHE_MS = 5 * 60_000;
const FETCH_DEADLINE_MS = 5_000;
const MAX_JWKS_BYTES = 100_000;

interface CachedJwks {
  keys: JsonWebKey[];
  fetchedAt: number;
}

type JwkWithKid = JsonWebKey & { kid?: unknown; use?: unknown; d?: unknown };

/** Only public signature keys count: a JWKS entry carrying private material (`d`) or meant for encryption is ignored. */
function toVerificationKey(jwk: JwkWithKid): crypto.KeyObject | undefined {
  if (jwk.d !== undefined || (jwk.use !== undefined && jwk.use !== 'sig')) {
    return undefined;
  }
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') {
    return undefined;
  }
  try {
    return crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
}

function findKey(keys: JsonWebKey[], kid: string): crypto.KeyObject | undefined {
  const jwk = keys.find((k) => (k as JwkWithKid).kid === kid);
  return jwk === undefined ? undefined : toVerificationKey(jwk);
}

/** GET the JWKS: 5 s deadline, redirects refused, body capped. Anything odd counts as "no keys". */
async function fetchJwks(url: string, fetchImpl: typeof fetch): Promise<JsonWebKey[]> {
  const response = await fetchImpl(url, {
    redirect: 'error',
    signal: AbortSignal.timeout(FETCH_DEADLINE_MS),
    headers: { accept: 'application/json' },
  });
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_JWKS_BYTES) {
    throw new Error('JWKS too large');
  }
  const text = await response.text();
  if (!response.ok || text.length > MAX_JWKS_BYTES) {
    throw new Error(`JWKS fetch answered ${response.status}`);
  }
  const body = JSON.parse(text) as { keys?: unknown };
  if (!Array.isArray(body.keys)) {
    throw new Error('JWKS has no keys array');
  }
  return body.keys as JsonWebKey[];
}

/**
 * Finds the public key a client signed its assertion with, by `kid`: inline keys directly; a JWKS URL from a
 * 5-minute cache, refetched once when the `kid` is unknown (the client may have rotated its keys).
 */
export class ClientKeyResolver {
  private readonly cache = new Map<string, CachedJwks>();

  constructor(
    private readonly clock: Clock,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async find(client: SandboxClient, kid: string): Promise<crypto.KeyObject | undefined> {
    if (client.jwks !== undefined) {
      return findKey(client.jwks.keys, kid);
    }
    if (client.jwksUrl === undefined) {
      return undefined;
    }
    const cached = this.cache.get(client.jwksUrl);
    const fresh = cached !== undefined && this.clock() - cached.fetchedAt < CACHE_MS;
    const fromCache = fresh ? findKey(cached.keys, kid) : undefined;
    if (fromCache !== undefined) {
      return fromCache;
    }
    const keys = await this.refresh(client.jwksUrl);
    return keys === undefined ? undefined : findKey(keys, kid);
  }

  private async refresh(url: string): Promise<JsonWebKey[] | undefined> {
    try {
      const keys = await fetchJwks(url, this.fetchImpl);
      this.cache.set(url, { keys, fetchedAt: this.clock() });
      return keys;
    } catch {
      return undefined;
    }
  }
}
