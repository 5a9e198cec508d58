import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createLogger } from '../../server/log';
import { createAccessTokenProvider } from '../../server/launch/access-token';
import { appSigningKeyFromJwk, generateAppJwk } from '../../server/launch/app-keys';
import type { Db } from '../../server/store/db';
import { openDb } from '../../server/store/db';
import type { LaunchSession } from '../../server/store/launch-sessions';
import { LaunchSessionStore } from '../../server/store/launch-sessions';
import { createSealedBox } from '../../server/store/sealed-box';
import type { RecordingServer } from '../support/recording-server';
import { sendJson, startRecordingServer } from '../support/recording-server';

/**
 * Server-side token refresh (security-reliability §6 C7–C9): private_key_jwt on every refresh, exactly one refresh
 * for concurrent callers, the rotated refresh token stored at once, and a rejected refresh ends cleanly.
 */
let db: Db;
let store: LaunchSessionStore;
let ehr: RecordingServer;
const key = appSigningKeyFromJwk(generateAppJwk());
const bodies: URLSearchParams[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  db = await openDb({});
  store = new LaunchSessionStore(db, createSealedBox({ current: { id: 'k1', key: crypto.randomBytes(32) } }), { idleMs: 60_000, maxMs: 3_600_000 });
  ehr = await startRecordingServer();
  ehr.handle((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      bodies.push(new URLSearchParams(raw));
      setTimeout(() => sendJson(res, answer.status, answer.body, 'application/json'), 50);
    });
  });
});

afterAll(async () => {
  await ehr.close();
  await db.close();
});

async function expiredSession(): Promise<LaunchSession> {
  return store.create({
    launchId: crypto.randomBytes(24).toString('base64url'),
    browserSessionId: crypto.randomBytes(32).toString('base64url'),
    tenantId: 'sandbox',
    fhirBaseUrl: `${ehr.origin}/fhir`,
    patientId: 'p1',
    context: { tokenUri: `${ehr.origin}/token` },
    tokens: { accessToken: 'old-access', refreshToken: 'old-refresh', tokenType: 'Bearer', scope: 'openid', expiresAt: new Date(Date.now() - 1000) },
    csrfToken: crypto.randomBytes(32).toString('base64url'),
  });
}

const deps = (): Parameters<typeof createAccessTokenProvider>[0] => ({
  store,
  signingKey: key,
  clientId: 'itdd-consent',
  jwksUrl: 'http://app.example/.well-known/jwks.json',
  logger: createLogger('silent'),
});

test('concurrent callers at expiry cause exactly one refresh, signed with private_key_jwt, and the rotation is stored', async () => {
  bodies.length = 0;
  answer = { status: 200, body: { access_token: 'new-access', refresh_token: 'new-refresh', token_type: 'Bearer', expires_in: 600, scope: 'openid' } };
  const session = await expiredSession();
  const provider = createAccessTokenProvider(deps(), session);
  const tokens = await Promise.all([provider.getAccessToken(), provider.getAccessToken(), provider.getAccessToken()]);
  expect(tokens).toEqual(['new-access', 'new-access', 'new-access']);
  expect(bodies).toHaveLength(1);
  const body = bodies[0];
  expect(body.get('grant_type')).toBe('refresh_token');
  expect(body.get('refresh_token')).toBe('old-refresh');
  expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  const assertion = jwt.verify(body.get('client_assertion') ?? '', crypto.createPublicKey({ key: key.publicJwk, format: 'jwk' }), { algorithms: ['RS384'] }) as jwt.JwtPayload;
  expect(assertion).toMatchObject({ iss: 'itdd-consent', sub: 'itdd-consent', aud: `${ehr.origin}/token` });
  expect((assertion.exp ?? 0) - (assertion.iat ?? 0)).toBeLessThanOrEqual(300);
  const stored = await store.get(session.launchId, session.browserSessionId);
  expect(stored?.tokens.refreshToken).toBe('new-refresh');
  expect(stored?.tokens.accessToken).toBe('new-access');
});

test('a rejected refresh (invalid_grant) reports false once and does not retry in a loop', async () => {
  bodies.length = 0;
  answer = { status: 400, body: { error: 'invalid_grant' } };
  const provider = createAccessTokenProvider(deps(), await expiredSession());
  expect(await provider.refreshAfterUnauthorized()).toBe(false);
  expect(await provider.refreshAfterUnauthorized()).toBe(false);
  expect(bodies).toHaveLength(1);
});
