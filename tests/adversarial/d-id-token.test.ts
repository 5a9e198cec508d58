import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TenantConfig } from '../../server/config';
import { createFhirHttp } from '../../server/chart/fhir-http';
import { verifyIdToken } from '../../server/launch/id-token';
import { CookieAgent } from '../support/cookie-agent';
import type { FakeEhr } from '../support/fake-ehr';
import { startFakeEhr } from '../support/fake-ehr';
import { simulatorLaunchUrl } from '../support/launch-helpers';
import type { RecordingServer } from '../support/recording-server';
import { sendJson, startRecordingServer } from '../support/recording-server';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Review catalogue group D (security-reliability §1.3, §6): the id_token names the clinician who authors chart
 * notes, so it is believed only after its algorithm, signature (the issuer's JWKS), issuer, audience and times check
 * out, and the user record it names is on the launch's own FHIR server — a record elsewhere is never fetched.
 */
let ehr: RecordingServer;
let tenant: TenantConfig;
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = 'ehr-key-1';
const nowS = (): number => Math.floor(Date.now() / 1000);

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

/** The same rules over the whole app: the sign-in stops at the callback with a clear page and an audit row. */
let system: TestSystem;
let fake: FakeEhr;

beforeAll(async () => {
  fake = await startFakeEhr();
  system = await startTestSystem({ SANDBOX: 'on', ITDD_ENV: 'sandbox', EHR_TENANTS: JSON.stringify([fake.tenant('fake')]) });
});

afterAll(async () => {
  await system.close();
  await fake.close();
});

const pageText = async (response: Response): Promise<string> => (await response.text()).replace(/<[^>]+>/g, ' ');
const headSeq = async (): Promise<number> => Number((await system.db.query<{ seq: string }>('SELECT seq::text AS seq FROM audit_head'))[0]?.seq ?? 0);
const auditSince = async (seq: number): Promise<{ action: string; reason: string | null }[]> =>
  system.db.query("SELECT action, record->>'reason' AS reason FROM audit_events WHERE seq > $1 ORDER BY seq", [seq]);

function sign(claims: Record<string, unknown>, options: { key?: crypto.KeyObject; kid?: string; alg?: jwt.Algorithm } = {}): string {
  return jwt.sign({ sub: 'user-1', fhirUser: `${ehr.origin}/fhir/Practitioner/p1`, ...claims }, options.key ?? privateKey, {
    algorithm: options.alg ?? 'RS256',
    keyid: options.kid ?? kid,
    ...('exp' in claims ? {} : { expiresIn: 300 }),
  });
}

const valid = (): Record<string, unknown> => ({ iss: `${ehr.origin}/fhir`, aud: 'app' });

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

const unsigned = (header: Record<string, unknown>, claims: Record<string, unknown>): string =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe('D1: algorithm confusion', () => {
  test.each([
    ['alg none', () => unsigned({ alg: 'none', kid }, { ...valid(), sub: 'x', exp: 9e9 })],
    ['HS256 keyed with the public key', () => jwt.sign({ ...valid(), sub: 'x' }, publicKey.export({ format: 'pem', type: 'spki' }), { algorithm: 'HS256', keyid: kid })],
  ])('D1: refuses %s', async (_what, make) => {
    await expect(verifyIdToken(make(), tenant, 'app')).rejects.toThrow(/could not be verified/);
  });

  test('D1: an id_token with alg none or HS256 is refused before the issuer is contacted at all', async () => {
    const issuer = await startIssuer(new Map([[kid, privateKey]]));
    try {
      const claims = { iss: `${issuer.server.origin}/fhir`, aud: 'app', sub: 'x', iat: nowS(), exp: nowS() + 300 };
      await expect(verifyIdToken(unsigned({ alg: 'none', kid }, claims), issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
      const hs = jwt.sign(claims, publicKey.export({ format: 'pem', type: 'spki' }), { algorithm: 'HS256', keyid: kid });
      await expect(verifyIdToken(hs, issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
      expect(issuer.server.requests).toHaveLength(0);
    } finally {
      await issuer.server.close();
    }
  });
});

describe('D2: claims', () => {
  test.each([
    ['for another audience', () => sign({ ...valid(), aud: 'someone-else' })],
    ['expired', () => sign({ ...valid(), exp: nowS() - 600 })],
    ['from an issuer outside the tenant', () => sign({ ...valid(), iss: 'https://evil.example/fhir' })],
    ['issued two minutes ahead (beyond the 60 s leeway)', () => sign({ ...valid(), iat: nowS() + 120, exp: nowS() + 400 })],
  ])('D2: refuses an id_token: %s', async (_what, make) => {
    await expect(verifyIdToken(make(), tenant, 'app')).rejects.toThrow(/could not be verified/);
  });

  test('D2: a clock a few seconds ahead at the EHR is within the leeway', async () => {
    await expect(verifyIdToken(sign({ ...valid(), iat: nowS() + 20, exp: nowS() + 320 }), tenant, 'app')).resolves.toMatchObject({ subject: 'user-1' });
  });

  test('D2: an id_token for another app (the sandbox\'s wrong aud) stops the sign-in (401), no session created', async () => {
    const start = await headSeq();
    const { response, url } = await new CookieAgent().follow(await simulatorLaunchUrl(system, { patient: 'anticoagulant-patient', error: 'id_token_wrong_audience' }));
    expect(response.status).toBe(401);
    expect(url).toMatch(/\/callback\?/);
    expect(await pageText(response)).toMatch(/identity token could not be verified/);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', reason: 'id_token_invalid' }]);
  });
});

describe('D3: signing keys', () => {
  const issuerToken = (origin: string, key: crypto.KeyObject, keyId: string): string =>
    sign({ iss: `${origin}/fhir`, aud: 'app', fhirUser: `${origin}/fhir/Practitioner/p1` }, { key, kid: keyId });

  test('D3: refuses an id_token with an unknown kid', async () => {
    await expect(verifyIdToken(sign(valid(), { kid: 'nope' }), tenant, 'app')).rejects.toThrow(/could not be verified/);
  });

  test('D3: the OpenID configuration and the JWKS are fetched once for many tokens', async () => {
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

  test('D3: an unknown kid triggers exactly one JWKS refetch, not a storm', async () => {
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

  test('D3: after the EHR rotates its key, the refetch finds the new one and the sign-in succeeds', async () => {
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

  test('D3: forced refetches are rate-limited across launches: a second unknown kid soon after fetches nothing', async () => {
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

describe('D4: a user record on another host', () => {
  let foreign: RecordingServer;

  beforeAll(async () => {
    foreign = await startRecordingServer();
  });

  afterAll(async () => {
    await foreign.close();
  });

  test.each([
    ['fhirUser', (origin: string): Record<string, unknown> => ({ fhirUser: `${origin}/fhir/Practitioner/p1` })],
    ['profile (the older claim)', (origin: string): Record<string, unknown> => ({ fhirUser: undefined, profile: `${origin}/fhir/Practitioner/p1` })],
  ])('D4: an id_token whose %s is on another host is refused, and that host is never contacted', async (_claim, claimsOn) => {
    await expect(verifyIdToken(sign({ ...valid(), ...claimsOn(foreign.origin) }), tenant, 'app')).rejects.toThrow(/could not be verified/);
    expect(foreign.requests).toHaveLength(0);
  });

  test('D4: the FHIR client sends no request, so no token, to a record on another server', async () => {
    const fhir = createFhirHttp({ baseUrl: `${ehr.origin}/fhir`, getAccessToken: () => Promise.resolve('access-token-d4') });
    const outcome = await fhir.read(`${foreign.origin}/fhir/Practitioner/p1`);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'the record is on another server' });
    expect(foreign.requests).toHaveLength(0);
  });

  test('D4: a launch whose id_token names a user on another host stops at the callback; that host is never contacted', async () => {
    fake.token = { kind: 'ok', idTokenClaims: { fhirUser: `${foreign.origin}/fhir/Practitioner/fake-dr` } };
    const agent = new CookieAgent();
    const begun = await agent.request(`${system.appUrl}/launch?iss=${encodeURIComponent(fake.iss)}&launch=launch-d4`);
    const state = new URL(begun.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const start = await headSeq();
    const response = await agent.request(`${system.appUrl}/callback?code=code-d4&state=${state}`);
    expect(response.status).toBe(401);
    expect(await pageText(response)).toMatch(/identity token could not be verified/);
    expect(await auditSince(start)).toEqual([{ action: 'launch.rejected', reason: 'id_token_invalid' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(foreign.requests).toHaveLength(0);
    expect(foreign.connections).toBe(0);
    // Nor was the chart read: the launch never became a session.
    expect(fake.requests.filter((r) => r.url.startsWith('/fhir/') && !r.url.includes('.well-known'))).toHaveLength(0);
  });
});
