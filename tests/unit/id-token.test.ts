import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TenantConfig } from '../../server/config';
import { verifyIdToken } from '../../server/launch/id-token';
import type { RecordingServer } from '../support/recording-server';
import { sendJson, startRecordingServer } from '../support/recording-server';

/**
 * id_token verification (security-reliability §1.3): a genuine token is accepted, a forged signature and a non-JWT
 * are not. The reviewer's cases D1–D4 (algorithms, claims, signing keys, fhirUser) are in tests/adversarial/d-id-token.
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
  ['not a JWT', () => 'garbage'],
])('refuses: %s', async (_what, make) => {
  await expect(verifyIdToken(make(), tenant, 'app')).rejects.toThrow(/could not be verified/);
});
