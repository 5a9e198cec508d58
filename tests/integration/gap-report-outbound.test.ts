import crypto from 'node:crypto';
import type { Client } from 'fhir-kit-client';
import jwt from 'jsonwebtoken';
import { BackendTokenSource } from '../../server/gap-report/backend-token';
import { searchAll } from '../../server/gap-report/ehr-reads';
import { createPinnedFhirClient } from '../../server/gap-report/fhir-kit';
import { appSigningKeyFromJwk, generateAppJwk } from '../../server/launch/app-keys';
import type { TenantConfig } from '../../server/config';
import { sendJson, startRecordingServer } from '../support/recording-server';
import type { RecordingServer } from '../support/recording-server';

/**
 * fhir-kit-client on the app's outbound rules: pages followed only under the FHIR base, a redirect never followed,
 * an answer too big or too slow refused, a 401 retried once with a fresh token; and the backend-services token:
 * a jsonwebtoken assertion with the claims the spec asks for, cached until near expiry, never in an error.
 */
let ehr: RecordingServer;
let elsewhere: RecordingServer;
const TOKEN = 'token-that-must-stay-home';

beforeEach(async () => {
  ehr = await startRecordingServer();
  elsewhere = await startRecordingServer();
});
afterEach(async () => {
  await ehr.close();
  await elsewhere.close();
});

const client = (options: { timeoutMs?: number; maxBytes?: number; tokens?: string[] } = {}): Promise<Client> => {
  const tokens = [...(options.tokens ?? [TOKEN])];
  return createPinnedFhirClient({
    baseUrl: `${ehr.origin}/r4`,
    accessToken: (fresh) => {
      if (fresh) {
        tokens.shift();
      }
      return Promise.resolve(tokens[0] ?? TOKEN);
    },
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  });
};

const page = (n: number, next?: string): Record<string, unknown> => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: [{ resource: { resourceType: 'Procedure', id: `p${n}` }, search: { mode: 'match' } }],
  link: next === undefined ? [] : [{ relation: 'next', url: next }],
});

test('follows every next page under the FHIR base, with the token, through fhir-kit-client', async () => {
  ehr.handle((req, res) => {
    const n = Number(new URL(req.url ?? '', ehr.origin).searchParams.get('page') ?? '1');
    sendJson(res, 200, page(n, n < 3 ? `${ehr.origin}/r4/Procedure?page=${n + 1}` : undefined));
  });
  const found = await searchAll(await client(), 'Procedure', { code: 'http://www.ama-assn.org/go/cpt|62362' });
  expect(found.map((r) => r.id)).toEqual(['p1', 'p2', 'p3']);
  expect(ehr.requests).toHaveLength(3);
  expect(ehr.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  expect(ehr.requests[0]?.url).toMatch(/^\/r4\/Procedure\?code=http%3A%2F%2Fwww\.ama-assn\.org%2Fgo%2Fcpt%7C62362&_count=100$/);
});

test('a next link to another server is refused before any request goes there', async () => {
  ehr.handle((_req, res) => sendJson(res, 200, page(1, `${elsewhere.origin}/r4/Procedure?page=2`)));
  await expect(searchAll(await client(), 'Procedure', {})).rejects.toThrow(/outside its FHIR server; it was not followed/);
  expect(elsewhere.requests).toHaveLength(0);
});

test('a redirect from the FHIR server is not followed', async () => {
  ehr.handle((_req, res) => res.writeHead(302, { location: `${elsewhere.origin}/r4/Procedure` }).end());
  await expect(searchAll(await client(), 'Procedure', {})).rejects.toThrow(/redirect.*not followed/);
  expect(elsewhere.requests).toHaveLength(0);
});

test('an answer bigger than the cap is refused', async () => {
  ehr.handle((_req, res) => sendJson(res, 200, { ...page(1), padding: 'x'.repeat(20_000) }));
  await expect(searchAll(await client({ maxBytes: 10_000 }), 'Procedure', {})).rejects.toThrow(/too much data/);
});

test('an EHR that does not answer in time is abandoned', async () => {
  ehr.handle(() => undefined);
  await expect(searchAll(await client({ timeoutMs: 300 }), 'Procedure', {})).rejects.toThrow(/did not answer in time/);
});

test('a 401 gets one retry with a fresh token; a second 401 fails the read', async () => {
  ehr.handle((req, res) => (req.headers.authorization === 'Bearer second' ? sendJson(res, 200, page(1)) : sendJson(res, 401, { resourceType: 'OperationOutcome' })));
  const found = await searchAll(await client({ tokens: ['first', 'second'] }), 'Procedure', {});
  expect(found).toHaveLength(1);
  expect(ehr.requests.map((r) => r.authorization)).toEqual(['Bearer first', 'Bearer second']);
  ehr.handle((_req, res) => sendJson(res, 401, { resourceType: 'OperationOutcome' }));
  await expect(searchAll(await client(), 'Procedure', {})).rejects.toThrow(/answered 401/);
});

describe('backend-services token', () => {
  const key = appSigningKeyFromJwk(generateAppJwk());
  const tenant = (): TenantConfig => ({
    id: 'ehr-test',
    name: 'Test EHR',
    iss: `${ehr.origin}/r4`,
    vendor: 'generic',
    clientId: 'launch-client',
    authOrigins: [ehr.origin],
    frameOrigins: [],
    backend: { clientId: 'backend-client', scopes: 'system/Procedure.rs system/DocumentReference.rs' },
  });
  const forms: URLSearchParams[] = [];

  function serveTokens(expiresIn: number): void {
    ehr.handle((req, res) => {
      if (req.url?.endsWith('/.well-known/smart-configuration') === true) {
        sendJson(res, 200, { token_endpoint: `${ehr.origin}/auth/token`, authorization_endpoint: `${ehr.origin}/auth/authorize` }, 'application/json');
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        forms.push(new URLSearchParams(body));
        sendJson(res, 200, { access_token: crypto.randomUUID(), token_type: 'Bearer', expires_in: expiresIn, scope: 'system/Procedure.rs' }, 'application/json');
      });
    });
  }

  test('signs a client_credentials assertion as the spec asks, and reuses the token until a minute before expiry', async () => {
    serveTokens(300);
    let now = Date.now();
    const source = new BackendTokenSource({ tenant: tenant(), signingKey: key, jwksUrl: 'https://app.example/.well-known/jwks.json', now: () => now });
    const first = await source.accessToken();
    expect(await source.accessToken()).toBe(first);
    now += 239_000;
    expect(await source.accessToken()).toBe(first);
    now += 2000;
    expect(await source.accessToken()).not.toBe(first);
    expect(forms).toHaveLength(2);
    const form = forms[0];
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('system/Procedure.rs system/DocumentReference.rs');
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const verified = jwt.verify(form.get('client_assertion') ?? '', crypto.createPublicKey(key.privateKey), { algorithms: ['RS384'], complete: true });
    const claims = verified.payload as jwt.JwtPayload;
    expect(claims).toMatchObject({ iss: 'backend-client', sub: 'backend-client', aud: `${ehr.origin}/auth/token` });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(300);
    expect(claims.jti).not.toBe((jwt.decode(forms[1]?.get('client_assertion') ?? '') as jwt.JwtPayload).jti);
  });

  test('a refused sign-in names the OAuth error, never the token or the EHR\'s own words', async () => {
    ehr.handle((req, res) => {
      if (req.url?.endsWith('/.well-known/smart-configuration') === true) {
        sendJson(res, 200, { token_endpoint: `${ehr.origin}/auth/token`, authorization_endpoint: `${ehr.origin}/auth/authorize` }, 'application/json');
        return;
      }
      sendJson(res, 401, { error: 'invalid_client', error_description: '<script>patient Jane Doe</script>' }, 'application/json');
    });
    const source = new BackendTokenSource({ tenant: tenant(), signingKey: key, jwksUrl: 'https://app.example/jwks' });
    const error = await source.accessToken().catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe('The EHR refused the app\'s backend-services sign-in (401 invalid_client).');
  });
});
