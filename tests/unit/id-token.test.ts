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

test('an unknown kid triggers exactly one JWKS refetch, not a storm', async () => {
  const before = ehr.requests.filter((r) => r.url === '/jwks').length;
  await expect(verifyIdToken(sign(valid(), { kid: 'rotated?' }), tenant, 'app')).rejects.toThrow();
  const after = ehr.requests.filter((r) => r.url === '/jwks').length;
  expect(after - before).toBeLessThanOrEqual(1);
});
