import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TenantConfig } from '../../server/config';
import { verifyIdToken } from '../../server/launch/id-token';
import type { RecordingServer } from '../support/recording-server';
import { sendJson, startRecordingServer } from '../support/recording-server';

/**
 * id_token verification (security-reliability §1.3, §6 D1–D4): signature from the issuer's JWKS, issuer pinned to
 * the tenant, audience = our client, expiry, and no algorithm games.
 */
let ehr: RecordingServer;
let tenant: TenantConfig;
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = 'ehr-key-1';

beforeAll(async () => {
  ehr = await startRecordingServer();
  tenant = { id: 't', name: 'T', iss: `${ehr.origin}/fhir`, vendor: 'generic', clientId: 'app', authOrigins: [ehr.origin], frameOrigins: [] };
  ehr.handle((req, res) => {
    if (req.url === '/fhir/.well-known/openid-configuration') {
      sendJson(res, 200, { issuer: `${ehr.origin}/fhir`, jwks_uri: `${ehr.origin}/jwks` }, 'application/json');
    } else if (req.url === '/jwks') {
      sendJson(res, 200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }, 'application/json');
    } else {
      res.writeHead(404).end();
    }
  });
});

afterAll(async () => {
  await ehr.close();
});

function sign(claims: Record<string, unknown>, options: { key?: crypto.KeyObject; kid?: string; alg?: jwt.Algorithm } = {}): string {
  return jwt.sign({ sub: 'user-1', fhirUser: `${ehr.origin}/fhir/Practitioner/p1`, ...claims }, options.key ?? privateKey, {
    algorithm: options.alg ?? 'RS256',
    keyid: options.kid ?? kid,
    ...('exp' in claims ? {} : { expiresIn: 300 }),
  });
}

const valid = (): Record<string, unknown> => ({ iss: `${ehr.origin}/fhir`, aud: 'app' });

test('a genuine token yields the user and fhirUser', async () => {
  const identity = await verifyIdToken(sign(valid()), tenant, 'app');
  expect(identity).toMatchObject({ subject: 'user-1', fhirUser: `${ehr.origin}/fhir/Practitioner/p1` });
});

test.each([
  ['signed with another key', () => sign(valid(), { key: other.privateKey })],
  ['wrong audience', () => sign({ ...valid(), aud: 'someone-else' })],
  ['expired', () => sign({ ...valid(), exp: Math.floor(Date.now() / 1000) - 600 })],
  ['issuer outside the tenant', () => sign({ ...valid(), iss: 'https://evil.example/fhir' })],
  ['alg none', () => `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...valid(), sub: 'x', exp: 9e9 })).toString('base64url')}.`],
  ['HS256 keyed with the public key', () => jwt.sign({ ...valid(), sub: 'x' }, publicKey.export({ format: 'pem', type: 'spki' }), { algorithm: 'HS256', keyid: kid })],
  ['unknown kid', () => sign(valid(), { kid: 'nope' })],
  ['not a JWT', () => 'garbage'],
])('refuses: %s', async (_what, make) => {
  await expect(verifyIdToken(make(), tenant, 'app')).rejects.toThrow(/could not be verified/);
});

/** An issuer of its own (a fresh JWKS URI), so the refetch budget other tests spent does not leak in. */
async function startIssuer(published: Map<string, crypto.KeyObject>): Promise<{ server: RecordingServer; tenant: TenantConfig; jwksFetches(): number }> {
  const server = await startRecordingServer();
  server.handle((req, res) => {
    if (req.url === '/fhir/.well-known/openid-configuration') {
      sendJson(res, 200, { issuer: `${server.origin}/fhir`, jwks_uri: `${server.origin}/jwks` }, 'application/json');
    } else if (req.url === '/jwks') {
      const keys = [...published].map(([id, key]) => ({ ...crypto.createPublicKey(key).export({ format: 'jwk' }), kid: id, alg: 'RS256', use: 'sig' }));
      sendJson(res, 200, { keys }, 'application/json');
    } else {
      res.writeHead(404).end();
    }
  });
  return {
    server,
    tenant: { ...tenant, id: 'rotating', iss: `${server.origin}/fhir`, authOrigins: [server.origin] },
    jwksFetches: () => server.requests.filter((r) => r.url === '/jwks').length,
  };
}

describe('signing keys', () => {
  const issuerToken = (origin: string, key: crypto.KeyObject, keyId: string): string =>
    sign({ iss: `${origin}/fhir`, aud: 'app', fhirUser: `${origin}/fhir/Practitioner/p1` }, { key, kid: keyId });

  test('the OpenID configuration and the JWKS are fetched once for many tokens', async () => {
    const issuer = await startIssuer(new Map([[kid, privateKey]]));
    try {
      for (let i = 0; i < 3; i += 1) {
        await verifyIdToken(issuerToken(issuer.server.origin, privateKey, kid), issuer.tenant, 'app');
      }
      expect(issuer.server.requests.filter((r) => r.url === '/fhir/.well-known/openid-configuration')).toHaveLength(1);
      expect(issuer.jwksFetches()).toBe(1);
    } finally {
      await issuer.server.close();
    }
  });

  test('an unknown kid triggers exactly one JWKS refetch, not a storm', async () => {
    const issuer = await startIssuer(new Map([[kid, privateKey]]));
    try {
      await verifyIdToken(issuerToken(issuer.server.origin, privateKey, kid), issuer.tenant, 'app');
      const before = issuer.jwksFetches();
      await expect(verifyIdToken(sign({ iss: `${issuer.server.origin}/fhir`, aud: 'app' }, { kid: 'rotated?' }), issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
      expect(issuer.jwksFetches() - before).toBe(1);
    } finally {
      await issuer.server.close();
    }
  });

  test('after the EHR rotates its key, the refetch finds the new one and the sign-in succeeds', async () => {
    const published = new Map([[kid, privateKey]]);
    const issuer = await startIssuer(published);
    try {
      await verifyIdToken(issuerToken(issuer.server.origin, privateKey, kid), issuer.tenant, 'app');
      published.set('ehr-key-2', other.privateKey);
      const identity = await verifyIdToken(issuerToken(issuer.server.origin, other.privateKey, 'ehr-key-2'), issuer.tenant, 'app');
      expect(identity.subject).toBe('user-1');
      expect(issuer.jwksFetches()).toBe(2);
    } finally {
      await issuer.server.close();
    }
  });

  test('forced refetches are rate-limited across launches: a second unknown kid soon after fetches nothing', async () => {
    const issuer = await startIssuer(new Map([[kid, privateKey]]));
    try {
      const forged = (keyId: string): string => sign({ iss: `${issuer.server.origin}/fhir`, aud: 'app' }, { kid: keyId });
      await expect(verifyIdToken(forged('unknown-1'), issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
      const afterFirst = issuer.jwksFetches();
      expect(afterFirst).toBe(2);
      for (const keyId of ['unknown-2', 'unknown-3', 'unknown-4']) {
        await expect(verifyIdToken(forged(keyId), issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
      }
      expect(issuer.jwksFetches()).toBe(afterFirst);
    } finally {
      await issuer.server.close();
    }
  });
});
