import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  APP_CLIENT_ID,
  APP_LAUNCH,
  APP_REDIRECT,
  clientAssertion,
  generateAppKey,
  postToken,
  startSandbox,
} from '../helpers/sandbox-harness';
import type { AppKey, Harness } from '../helpers/sandbox-harness';

/**
 * SMART Backend Services on the sandbox EHR: `client_credentials` for a client registered with a JWKS URL, the
 * assertion checked as the spec says (RS384/ES384, iss = sub = client id, aud = token URL, exp ≤ 5 min, jti once),
 * and the token good for `system/` reads across patients and nothing more.
 */
const BACKEND_ID = 'itdd-gap-report';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ecKey: AppKey = generateAppKey('ES384');
let h: Harness;
let jwksServer: http.Server;
let backendKey: AppKey;

beforeAll(async () => {
  backendKey = generateAppKey('RS384');
  jwksServer = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [backendKey.publicJwk, ecKey.publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  h = await startSandbox({
    clients: (appKey) => [
      { clientId: APP_CLIENT_ID, redirectUris: [APP_REDIRECT], launchUrl: APP_LAUNCH, jwks: { keys: [appKey.publicJwk] } },
      { clientId: BACKEND_ID, redirectUris: [APP_REDIRECT], launchUrl: APP_LAUNCH, jwksUrl, backendScopes: ['system/Procedure.rs', 'system/ServiceRequest.rs', 'system/DocumentReference.rs'] },
    ],
  });
});
afterAll(async () => {
  await h.close();
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});

function assertion(overrides: Parameters<typeof clientAssertion>[1] = {}, key: AppKey = backendKey): string {
  return clientAssertion(h, {
    key: key.privateKey,
    kid: key.kid,
    algorithm: key.alg,
    ...overrides,
    claims: { iss: BACKEND_ID, sub: BACKEND_ID, ...overrides.claims },
  });
}

function backendToken(clientAssertionJwt: string, scope = 'system/Procedure.rs system/DocumentReference.rs'): Promise<Response> {
  return postToken(h, { grant_type: 'client_credentials', scope, client_assertion_type: JWT_BEARER, client_assertion: clientAssertionJwt });
}

it('advertises client_credentials, private_key_jwt and system scopes in its SMART configuration', async () => {
  const config = (await (await fetch(`${h.sandbox.fhirBaseUrl}/.well-known/smart-configuration`)).json()) as Record<string, string[]>;
  expect(config.grant_types_supported).toContain('client_credentials');
  expect(config.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
  expect(config.token_endpoint_auth_signing_alg_values_supported).toEqual(['RS384', 'ES384']);
  expect(config.scopes_supported).toEqual(expect.arrayContaining(['system/*.rs', 'system/*.read']));
});

it.each([
  ['RS384', () => backendKey],
  ['ES384', () => ecKey],
])('a good %s assertion gets a five-minute bearer token with the registered system scopes asked for', async (_alg, key) => {
  const res = await backendToken(assertion({}, key()), 'system/Procedure.rs system/DocumentReference.rs system/Patient.rs patient/Observation.rs launch');
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'system/Procedure.rs system/DocumentReference.rs' });
  expect(body).not.toHaveProperty('refresh_token');
  expect(body).not.toHaveProperty('id_token');
  expect(body).not.toHaveProperty('patient');
});

it('the token searches every patient\'s Procedures on each FHIR base, and nothing outside its scopes', async () => {
  const { access_token: token } = (await (await backendToken(assertion())).json()) as { access_token: string };
  for (const base of Object.values(h.sandbox.fhirBaseUrls)) {
    const res = await fetch(`${base}/Procedure?_count=5`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  }
  const patients = await fetch(`${h.sandbox.fhirBaseUrl}/Patient`, { headers: { authorization: `Bearer ${token}` } });
  expect(patients.status).toBe(403);
  const write = await fetch(`${h.sandbox.fhirBaseUrl}/DocumentReference`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }] }),
  });
  expect(write.status).toBe(403);
});

const now = (): number => Math.floor(h.now() / 1000);
const refused: [string, () => string][] = [
  ['a bad signature', () => assertion({ key: generateAppKey().privateKey })],
  ['the wrong aud', () => assertion({ claims: { aud: `${h.sandbox.fhirBaseUrl}` } })],
  ['exp more than five minutes ahead', () => assertion({ claims: { exp: now() + 301 } })],
  ['an expired assertion', () => assertion({ claims: { exp: now() - 10 } })],
  ['sub different from iss', () => assertion({ claims: { sub: 'someone-else' } })],
  ['an unknown client', () => assertion({ claims: { iss: 'not-registered', sub: 'not-registered' } })],
  ['HS256', () => assertion({ key: 'shared-secret', algorithm: 'HS256' })],
  ['RS256', () => assertion({ algorithm: 'RS256' })],
  ['no jti', () => assertion({ claims: { jti: undefined } })],
];

it.each(refused)('refuses %s with invalid_client (401)', async (_name, make) => {
  const res = await backendToken(make());
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ error: 'invalid_client' });
});

it('refuses a replayed jti', async () => {
  const jti = crypto.randomUUID();
  expect((await backendToken(assertion({ claims: { jti } }))).status).toBe(200);
  const replay = await backendToken(assertion({ claims: { jti } }));
  expect(replay.status).toBe(401);
  expect(await replay.json()).toMatchObject({ error: 'invalid_client' });
});

it('refuses a request for no system scope it is registered for (invalid_scope)', async () => {
  const res = await backendToken(assertion(), 'system/Patient.rs patient/*.rs');
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: 'invalid_scope' });
});
