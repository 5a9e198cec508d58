import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { JwtPayload } from 'jsonwebtoken';
import {
  APP_CLIENT_ID,
  APP_REDIRECT,
  authorize,
  clientAssertion,
  ehrLaunchCode,
  exchangeCode,
  FULL_SCOPE,
  fhirGet,
  generateAppKey,
  launchAndToken,
  locationOf,
  pkcePair,
  postToken,
  simulatorLaunch,
  startSandbox,
} from '../helpers/sandbox-harness';
import type { Harness } from '../helpers/sandbox-harness';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
let h: Harness;

beforeAll(async () => {
  h = await startSandbox();
});
afterAll(async () => {
  await h.close();
});

async function verifyIdToken(idToken: string): Promise<JwtPayload> {
  const jwks = (await (await fetch(`${h.baseUrl}/auth/jwks`)).json()) as { keys: (crypto.JsonWebKey & { kid: string })[] };
  const header = jwt.decode(idToken, { complete: true })?.header;
  const jwk = jwks.keys.find((k) => k.kid === header?.kid);
  if (jwk === undefined) {
    throw new Error('kid not in JWKS');
  }
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  return jwt.verify(idToken, key, { algorithms: ['RS256'], issuer: h.sandbox.fhirBaseUrl, audience: APP_CLIENT_ID }) as JwtPayload;
}

describe('discovery', () => {
  it('serves the SMART configuration as JSON whatever the Accept header, with absolute endpoints and S256 only', async () => {
    const res = await fetch(`${h.sandbox.fhirBaseUrl}/.well-known/smart-configuration`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const config = (await res.json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      issuer: h.sandbox.fhirBaseUrl,
      jwks_uri: `${h.baseUrl}/auth/jwks`,
      authorization_endpoint: `${h.baseUrl}/auth/authorize`,
      token_endpoint: `${h.baseUrl}/auth/token`,
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(config.capabilities).toEqual(
      expect.arrayContaining(['launch-ehr', 'launch-standalone', 'client-confidential-asymmetric', 'sso-openid-connect', 'permission-v2']),
    );
  });

  it('serves the OpenID configuration and a JWKS holding only public RS256 keys', async () => {
    const oidc = (await (await fetch(`${h.sandbox.fhirBaseUrl}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(oidc).toMatchObject({
      issuer: h.sandbox.fhirBaseUrl,
      jwks_uri: `${h.baseUrl}/auth/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
    });
    const jwks = (await (await fetch(`${h.baseUrl}/auth/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('serves the smart style document named in token responses', async () => {
    const res = await fetch(`${h.baseUrl}/smart-style.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('color_background');
  });
});

describe('EHR launch with private_key_jwt and PKCE', () => {
  it('runs simulator → authorize → token → FHIR read of the launch patient', async () => {
    const code = await ehrLaunchCode(h, { encounter: 'enc-a2' });
    const res = await exchangeCode(h, code);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      patient: 'pat-a',
      encounter: 'enc-a2',
      need_patient_banner: true,
      smart_style_url: `${h.baseUrl}/smart-style.json`,
    });
    // The app learns the vendor from the tenant configured for the `iss`, so nothing in the answer may name one.
    expect(body).not.toHaveProperty('tenant');
    expect(body).not.toHaveProperty('sandbox_vendor');
    expect(Buffer.from(body.access_token as string, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(body.scope).toBe(FULL_SCOPE);
    expect(typeof body.refresh_token).toBe('string');
    const patient = await fhirGet(h, body.access_token as string, 'Patient/pat-a');
    expect(patient.status).toBe(200);
    expect(((await patient.json()) as { id: string }).id).toBe('pat-a');
  });

  it('issues an id_token that verifies against the JWKS and names the user as an absolute fhirUser', async () => {
    const body = await launchAndToken(h, {}, { nonce: 'n-123' });
    const claims = await verifyIdToken(body.id_token as string);
    expect(claims).toMatchObject({
      sub: 'itdd-dr-rivera',
      fhirUser: `${h.sandbox.fhirBaseUrl}/Practitioner/itdd-dr-rivera`,
      name: 'Dr. Elena Rivera',
      nonce: 'n-123',
    });
    expect(jwt.decode(body.id_token as string, { complete: true })?.header.kid).toBeDefined();
  });

  it('answers the launch with the first encounter when none was chosen, and sends no refresh token unless asked', async () => {
    const body = await launchAndToken(h, {}, { scope: 'launch openid fhirUser patient/Patient.r' });
    expect(body.encounter).toBe('enc-a1');
    expect(body).not.toHaveProperty('refresh_token');
  });

  it('drops scopes it does not know and reports what it granted', async () => {
    const body = await launchAndToken(h, {}, { scope: 'launch patient/Patient.r patient/Observation.sr bogus/scope' });
    expect(body.scope).toBe('launch patient/Patient.r');
  });

  it('sends Epic-style launch context for the epic vendor and a 570 s token for oracle', async () => {
    const epic = await launchAndToken(h, { vendor: 'epic' });
    expect(epic.need_patient_banner).toBe('false');
    expect(epic['__epic.dstu2.patient']).toEqual(expect.any(String));
    const oracle = await launchAndToken(h, { vendor: 'oracle', banner: 'false' });
    expect(oracle.expires_in).toBe(570);
    expect(oracle.need_patient_banner).toBe(false);
  });
});

describe('one tenant per imitated vendor, each on its own FHIR base', () => {
  const vendors = ['generic', 'epic', 'oracle'] as const;

  it('serves distinct bases, each with discovery naming itself as issuer and its own CapabilityStatement', async () => {
    expect(h.sandbox.fhirBaseUrls).toEqual({ generic: `${h.baseUrl}/r4`, epic: `${h.baseUrl}/epic/r4`, oracle: `${h.baseUrl}/oracle/r4` });
    for (const vendor of vendors) {
      const base = h.sandbox.fhirBaseUrls[vendor];
      const smart = (await (await fetch(`${base}/.well-known/smart-configuration`)).json()) as Record<string, unknown>;
      expect(smart).toMatchObject({ issuer: base, authorization_endpoint: `${h.baseUrl}/auth/authorize` });
      const oidc = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(oidc.issuer).toBe(base);
      const statement = (await (await fetch(`${base}/metadata`)).json()) as {
        implementation: { url: string };
        rest: { resource: { type: string; conditionalCreate: boolean }[] }[];
      };
      expect(statement.implementation.url).toBe(base);
      const documents = statement.rest[0]?.resource.find((r) => r.type === 'DocumentReference');
      expect(documents?.conditionalCreate).toBe(vendor === 'generic');
    }
  });

  it('sends each launch to its vendor\'s base as iss, and signs the id_token and fhirUser with that base', async () => {
    for (const vendor of vendors) {
      const res = await fetch(`${h.baseUrl}/simulator/launch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ user: 'itdd-dr-rivera', patient: 'pat-a', vendor }),
      });
      const { launchUrl } = (await res.json()) as { launchUrl: string };
      expect(new URL(launchUrl).searchParams.get('iss')).toBe(h.sandbox.fhirBaseUrls[vendor]);
      const body = await launchAndToken(h, { vendor });
      const claims = jwt.decode(body.id_token as string) as JwtPayload;
      expect(claims.iss).toBe(h.sandbox.fhirBaseUrls[vendor]);
      expect(claims.fhirUser).toBe(`${h.sandbox.fhirBaseUrls[vendor]}/Practitioner/itdd-dr-rivera`);
      expect(body).not.toHaveProperty('sandbox_vendor');
    }
  });

  it('refuses a launch presented with another base as aud', async () => {
    const launch = await simulatorLaunch(h, { vendor: 'epic' });
    const location = locationOf(await authorize(h, { launch, code_challenge: pkcePair().challenge, aud: h.sandbox.fhirBaseUrl }));
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('accepts a token only on the base it was granted on: another base is another EHR', async () => {
    const epic = await launchAndToken(h, { vendor: 'epic' });
    const here = await fetch(`${h.sandbox.fhirBaseUrls.epic}/Patient/pat-a`, { headers: { authorization: `Bearer ${epic.access_token}` } });
    expect(here.status).toBe(200);
    for (const other of [h.sandbox.fhirBaseUrls.generic, h.sandbox.fhirBaseUrls.oracle]) {
      const res = await fetch(`${other}/Patient/pat-a`, { headers: { authorization: `Bearer ${epic.access_token}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
  });

  it('serves the same chart on every base', async () => {
    const names: unknown[] = [];
    for (const vendor of vendors) {
      const body = await launchAndToken(h, { vendor });
      names.push(((await (await fhirGet(h, body.access_token, 'Patient/pat-a')).json()) as { name: unknown }).name);
    }
    expect(names[1]).toEqual(names[0]);
    expect(names[2]).toEqual(names[0]);
  });
});

describe('authorization endpoint', () => {
  it('refuses an authorization request without PKCE by redirecting back with invalid_request', async () => {
    const launch = await simulatorLaunch(h);
    for (const params of [{ code_challenge: undefined }, { code_challenge: pkcePair().challenge, code_challenge_method: 'plain' }]) {
      const res = await authorize(h, { launch, state: 's1', ...params });
      expect(res.status).toBe(302);
      const location = locationOf(res);
      expect(location.origin + location.pathname).toBe(APP_REDIRECT);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('s1');
      expect(location.searchParams.get('code')).toBeNull();
    }
  });

  it('shows an error page and never redirects for an unregistered redirect_uri, unknown client or wrong aud', async () => {
    const launch = await simulatorLaunch(h);
    const bad = [
      { redirect_uri: 'http://evil.example/callback' },
      { redirect_uri: `${APP_REDIRECT}/extra` },
      { client_id: 'unknown-app' },
      { aud: 'http://evil.example/fhir' },
    ];
    for (const params of bad) {
      const res = await authorize(h, { launch, code_challenge: pkcePair().challenge, ...params });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });

  it('does not echo request data into the error page', async () => {
    const res = await authorize(h, { client_id: '<script>alert(1)</script>' });
    expect(await res.text()).not.toContain('<script>alert(1)</script>');
  });

  it('redirects with access_denied when the simulator says the user refuses', async () => {
    const launch = await simulatorLaunch(h, { error: 'access_denied' });
    const res = await authorize(h, { launch, state: 'st', code_challenge: pkcePair().challenge });
    const location = locationOf(res);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st');
  });

  it('refuses an unknown launch and a launch without the launch scope', async () => {
    const unknown = await authorize(h, { launch: 'not-a-launch', code_challenge: pkcePair().challenge });
    expect(locationOf(unknown).searchParams.get('error')).toBe('invalid_request');
    const launch = await simulatorLaunch(h);
    const noScope = await authorize(h, { launch, scope: 'patient/Patient.r', code_challenge: pkcePair().challenge });
    expect(locationOf(noScope).searchParams.get('error')).toBe('invalid_scope');
  });

  it('spends a launch once a token has been issued from it', async () => {
    const launch = await simulatorLaunch(h);
    const { verifier, challenge } = pkcePair();
    const first = locationOf(await authorize(h, { launch, code_challenge: challenge }));
    const res = await exchangeCode(h, { code: first.searchParams.get('code') as string, state: '', verifier });
    expect(res.status).toBe(200);
    const again = await authorize(h, { launch, code_challenge: challenge });
    expect(locationOf(again).searchParams.get('error')).toBe('invalid_request');
  });
});

describe('token endpoint: codes and PKCE', () => {
  it('rejects a missing or wrong code_verifier with invalid_grant', async () => {
    for (const verifier of [undefined, pkcePair().verifier]) {
      const code = await ehrLaunchCode(h);
      const res = await postToken(h, {
        grant_type: 'authorization_code',
        code: code.code,
        redirect_uri: APP_REDIRECT,
        code_verifier: verifier,
        client_assertion_type: JWT_BEARER,
        client_assertion: clientAssertion(h),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
    }
  });

  it('accepts a code once; a second use fails and revokes the tokens the first produced', async () => {
    const code = await ehrLaunchCode(h);
    const first = await exchangeCode(h, code);
    const { access_token } = (await first.json()) as { access_token: string };
    expect((await fhirGet(h, access_token, 'Patient/pat-a')).status).toBe(200);
    const second = await exchangeCode(h, code);
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await fhirGet(h, access_token, 'Patient/pat-a')).status).toBe(401);
  });

  it('rejects a code exchanged with another redirect_uri', async () => {
    const code = await ehrLaunchCode(h);
    const res = await postToken(h, {
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: 'http://localhost:4000/other',
      code_verifier: code.verifier,
      client_assertion_type: JWT_BEARER,
      client_assertion: clientAssertion(h),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('rejects a code after its 60-second life', async () => {
    const code = await ehrLaunchCode(h);
    h.advance(61_000);
    const res = await exchangeCode(h, code);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers unsupported_grant_type for other grants', async () => {
    const res = await postToken(h, {
      grant_type: 'password',
      client_assertion_type: JWT_BEARER,
      client_assertion: clientAssertion(h),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('refuses client_credentials to a client not registered for backend services', async () => {
    const res = await postToken(h, {
      grant_type: 'client_credentials',
      scope: 'system/Procedure.rs',
      client_assertion_type: JWT_BEARER,
      client_assertion: clientAssertion(h),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unauthorized_client' });
  });
});

describe('token endpoint: client assertions', () => {
  const now = (): number => Math.floor(h.now() / 1000);
  const cases: [string, (h: Harness) => string][] = [
    ['signed with another key', (hh) => clientAssertion(hh, { key: generateAppKey().privateKey })],
    ['with the wrong aud', (hh) => clientAssertion(hh, { claims: { aud: `${hh.baseUrl}/fhir` } })],
    ['expiring more than five minutes ahead', (hh) => clientAssertion(hh, { claims: { exp: now() + 600 } })],
    ['already expired', (hh) => clientAssertion(hh, { claims: { exp: now() - 10 } })],
    ['with iss different from sub', (hh) => clientAssertion(hh, { claims: { sub: 'someone-else' } })],
    ['with an unknown kid', (hh) => clientAssertion(hh, { kid: 'no-such-kid' })],
    [
      'HS256 with the public key as secret',
      (hh) => {
        const pem = crypto.createPublicKey(hh.appKey.privateKey).export({ format: 'pem', type: 'spki' }).toString();
        return clientAssertion(hh, { key: pem, algorithm: 'HS256' });
      },
    ],
    [
      'alg none',
      (hh) => {
        const encode = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
        const claims = { iss: APP_CLIENT_ID, sub: APP_CLIENT_ID, aud: hh.tokenUrl, jti: crypto.randomUUID(), exp: now() + 60 };
        return `${encode({ alg: 'none', typ: 'JWT', kid: hh.appKey.kid })}.${encode(claims)}.`;
      },
    ],
  ];

  it.each(cases)('rejects an assertion %s with 401 invalid_client', async (_name, make) => {
    const code = await ehrLaunchCode(h);
    const res = await postToken(h, {
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: APP_REDIRECT,
      code_verifier: code.verifier,
      client_assertion_type: JWT_BEARER,
      client_assertion: make(h),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('rejects a reused jti', async () => {
    const assertion = clientAssertion(h);
    const first = await ehrLaunchCode(h);
    const form = (c: typeof first): Record<string, string> => ({
      grant_type: 'authorization_code',
      code: c.code,
      redirect_uri: APP_REDIRECT,
      code_verifier: c.verifier,
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
    });
    expect((await postToken(h, form(first))).status).toBe(200);
    const replay = await postToken(h, form(await ehrLaunchCode(h)));
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('requires a confidential client to authenticate', async () => {
    const code = await ehrLaunchCode(h);
    const res = await postToken(h, {
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: APP_REDIRECT,
      code_verifier: code.verifier,
      client_id: APP_CLIENT_ID,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('refresh tokens', () => {
  it('rotates the refresh token: the new one works, the old one is dead, and a new access token is issued', async () => {
    const first = await launchAndToken(h);
    const refresh = (token: unknown): Promise<Response> =>
      postToken(h, {
        grant_type: 'refresh_token',
        refresh_token: token as string,
        client_assertion_type: JWT_BEARER,
        client_assertion: clientAssertion(h),
      });
    const res = await refresh(first.refresh_token);
    expect(res.status).toBe(200);
    const second = (await res.json()) as Record<string, unknown>;
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second).toMatchObject({ patient: 'pat-a', encounter: 'enc-a1', scope: FULL_SCOPE });
    expect((await fhirGet(h, second.access_token as string, 'Patient/pat-a')).status).toBe(200);
    const replay = await refresh(first.refresh_token);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(second.refresh_token)).status).toBe(200);
  });

  it('requires client authentication to refresh', async () => {
    const first = await launchAndToken(h);
    const res = await postToken(h, { grant_type: 'refresh_token', refresh_token: first.refresh_token as string });
    expect(res.status).toBe(401);
  });
});

describe('simulated faults', () => {
  it('token_failure: the token endpoint answers 500 with an HTML body', async () => {
    const res = await exchangeCode(h, await ehrLaunchCode(h, { error: 'token_failure' }));
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('id_token_bad_signature: the id_token carries the real kid but does not verify', async () => {
    const body = await launchAndToken(h, { error: 'id_token_bad_signature' });
    const jwks = (await (await fetch(`${h.baseUrl}/auth/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwt.decode(body.id_token as string, { complete: true })?.header.kid).toBe(jwks.keys[0]?.kid);
    await expect(verifyIdToken(body.id_token as string)).rejects.toThrow(/invalid signature/);
  });

  it('id_token_wrong_audience: the id_token is signed correctly but for another client', async () => {
    const body = await launchAndToken(h, { error: 'id_token_wrong_audience' });
    await expect(verifyIdToken(body.id_token as string)).rejects.toThrow(/audience/);
    expect(jwt.decode(body.id_token as string, { json: true })?.aud).not.toBe(APP_CLIENT_ID);
  });
});

describe('access token lifetime', () => {
  it('refuses an access token after it expires', async () => {
    const body = await launchAndToken(h);
    h.advance(3601_000);
    expect((await fhirGet(h, body.access_token, 'Patient/pat-a')).status).toBe(401);
  });
});
