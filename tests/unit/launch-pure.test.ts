import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../../server/config';
import { escapeHtml, html } from '../../server/http/html';
import { appSigningKeyFromJwk, generateAppJwk } from '../../server/launch/app-keys';
import { codeExchangeBody } from '../../server/launch/code-exchange';
import { prepareAuthorization } from '../../server/launch/fhirclient-bridge';
import { authorizeRefusal } from '../../server/launch/launch-errors';
import { needsPatientBanner, parseTokenResponse } from '../../server/launch/token-response';
import { scrub } from '../../server/log';

describe('token response', () => {
  const base = { access_token: 'a'.repeat(40), token_type: 'Bearer', expires_in: 600, scope: 'openid', patient: 'p-1', id_token: 'x.y.z' };

  test('need_patient_banner: only an explicit false (boolean or the string Epic sends) hides the banner', () => {
    expect(needsPatientBanner(false)).toBe(false);
    expect(needsPatientBanner('false')).toBe(false);
    expect(needsPatientBanner(' FALSE ')).toBe(false);
    expect(needsPatientBanner(true)).toBe(true);
    expect(needsPatientBanner(undefined)).toBe(true);
    expect(needsPatientBanner('no')).toBe(true);
  });

  test('keeps tokens apart from the non-secret context', () => {
    const parsed = parseTokenResponse({ ...base, encounter: 'e-1', need_patient_banner: 'false', refresh_token: 'r' }, 0);
    expect(parsed.patientId).toBe('p-1');
    expect(parsed.encounterId).toBe('e-1');
    expect(parsed.tokens.expiresAt.getTime()).toBe(600_000);
    expect(JSON.stringify(parsed.context)).not.toContain(base.access_token);
    expect(parsed.context.needPatientBanner).toBe(false);
  });

  // A missing patient (C3) and a token type or lifetime out of the ordinary (C5): tests/adversarial/c-token.
  test.each([
    [{ ...base, access_token: undefined }, /no access token/],
    [{ ...base, id_token: undefined }, /who is signed in/],
  ])('refuses an unusable response (%#)', (raw, message) => {
    expect(() => parseTokenResponse(raw as Record<string, unknown>)).toThrow(message);
  });
});

describe('authorization errors', () => {
  test.each([
    ['access_denied', 403, 'ehr_denied', /did not authorize the app \(access_denied\)/],
    ['invalid_scope', 502, 'ehr_authorize_setup', /setup problem: launching again will not fix it/],
    ['unauthorized_client', 502, 'ehr_authorize_setup', /EHR error code: unauthorized_client/],
    ['temporarily_unavailable', 502, 'ehr_authorize_unavailable', /sign-in service failed/],
    ['server_error', 502, 'ehr_authorize_unavailable', /sign-in service failed/],
    ['<b>odd</b>', 403, 'ehr_denied', /did not authorize the app \(unrecognised\)/],
  ])('%s reads as its kind (%i, %s)', (error, status, reason, message) => {
    const refusal = authorizeRefusal(error, undefined);
    expect(refusal.status).toBe(status);
    expect(refusal.details?.reason).toBe(reason);
    expect(refusal.message).toMatch(message);
    expect(refusal.message).not.toContain('<b>');
  });

  test('the EHR\'s own words are kept only as the hint of a denial', () => {
    expect(authorizeRefusal('access_denied', 'The patient opted out').hint).toBe('The EHR said: "The patient opted out" Launch the app again from the patient\'s chart if this was a mistake.');
    expect(authorizeRefusal('invalid_scope', 'anything').hint).toMatch(/Tell your EHR analyst/);
  });
});

describe('log scrubbing and HTML escaping', () => {
  test('scrub drops query strings, JWTs, bearer values and control characters', () => {
    const line = scrub('GET /callback?code=abc&state=def token=xyz eyJhbGciOi.eyJzdWIiOi.sig Bearer abc\r\nFAKE');
    expect(line).not.toMatch(/abc|def|xyz|eyJ/);
    expect(line).not.toMatch(/[\r\n]/);
  });

  test('escapeHtml and html`` encode markup and quotes', () => {
    expect(escapeHtml('<img src=x onerror="a">\'&')).toBe('&lt;img src=x onerror=&quot;a&quot;&gt;&#39;&amp;');
    expect(html`<p title="${'"x"'}">${'<b>'}</p>`.value).toBe('<p title="&quot;x&quot;">&lt;b&gt;</p>');
  });
});

describe('configuration', () => {
  test('with no configuration the sandbox EHR is the only EHR: one ordinary tenant per vendor it imitates', () => {
    const config = loadConfig({});
    expect(config.sandbox.enabled).toBe(true);
    expect(config.tenants).toEqual([
      { id: 'sandbox-generic', vendor: 'generic', iss: 'http://localhost:4001/r4' },
      { id: 'sandbox-epic', vendor: 'epic', iss: 'http://localhost:4001/epic/r4' },
      { id: 'sandbox-oracle', vendor: 'oracle', iss: 'http://localhost:4001/oracle/r4' },
    ].map((t) => ({
      ...t,
      name: expect.any(String),
      clientId: 'itdd-consent',
      authOrigins: ['http://localhost:4001'],
      frameOrigins: ['http://localhost:4001'],
      backend: { clientId: 'itdd-consent', scopes: 'system/Procedure.rs system/ServiceRequest.rs system/DocumentReference.rs' },
      compliance: { users: ['Practitioner/itdd-compliance-brooks'] },
    })));
  });

  test('a tenant gets backend services only when it says so, with its own client id or the launch one', () => {
    const tenant = { id: 'epic-prod', name: 'Epic', iss: 'https://fhir.example.org/api/FHIR/R4', vendor: 'epic', clientId: 'launch-id' };
    const [plain, backend, own] = loadConfig({
      ITDD_ENV: 'sandbox',
      EHR_TENANTS: JSON.stringify([tenant, { ...tenant, id: 'b' , backend: {} }, { ...tenant, id: 'c', backend: { clientId: 'backend-id', scopes: 'system/Procedure.read' } }]),
    }).tenants;
    expect(plain?.backend).toBeUndefined();
    expect(backend?.backend).toEqual({ clientId: 'launch-id', scopes: 'system/Procedure.rs system/ServiceRequest.rs system/DocumentReference.rs' });
    expect(own?.backend).toEqual({ clientId: 'backend-id', scopes: 'system/Procedure.read' });
    expect(() => loadConfig({ ITDD_ENV: 'sandbox', EHR_TENANTS: JSON.stringify([{ ...tenant, backend: { scopes: 'patient/*.rs' } }]) })).toThrow(/scopes/);
  });

  test('production refuses to start on generated secrets, plain HTTP or the sandbox', () => {
    expect(() => loadConfig({ ITDD_ENV: 'production' })).toThrow(/sandbox EHR must be off.*APP_BASE_URL must be https.*APP_PRIVATE_JWK is required.*TOKEN_ENCRYPTION_KEY.*DATABASE_URL/);
  });

  test('a malformed tenant list is refused', () => {
    expect(() => loadConfig({ EHR_TENANTS: '[{"id":"x"}]' })).toThrow();
    expect(() => loadConfig({ EHR_TENANTS: 'not json' })).toThrow(/not valid JSON/);
  });
});

describe('authorization request and code exchange', () => {
  const endpoints = { authorizationEndpoint: 'https://ehr.example/auth/authorize?aud-hint=1', tokenEndpoint: 'https://ehr.example/auth/token', issParameterSupported: false };
  const input = {
    iss: 'https://ehr.example/fhir',
    launch: 'opaque-launch',
    clientId: 'itdd-consent',
    scope: 'launch openid fhirUser patient/Patient.r',
    redirectUri: 'https://app.example/callback',
    stateKey: 'state-123',
    endpoints,
  };

  test('the authorize URL carries the SMART parameters and a PKCE S256 challenge of the stored verifier', async () => {
    const { url, state } = await prepareAuthorization(input);
    const params = new URL(url).searchParams;
    expect(url.startsWith('https://ehr.example/auth/authorize?')).toBe(true);
    expect(params.get('aud-hint')).toBe('1');
    expect(Object.fromEntries([...params].filter(([name]) => name !== 'code_challenge' && name !== 'aud-hint'))).toEqual({
      response_type: 'code',
      client_id: 'itdd-consent',
      scope: input.scope,
      redirect_uri: input.redirectUri,
      aud: input.iss,
      state: 'state-123',
      launch: 'opaque-launch',
      code_challenge_method: 'S256',
    });
    const verifier = state.codeVerifier ?? '';
    expect(verifier.length).toBeGreaterThanOrEqual(43);
    expect(params.get('code_challenge')).toBe(crypto.createHash('sha256').update(verifier).digest('base64url'));
    expect(state).toMatchObject({ key: 'state-123', serverUrl: input.iss, tokenUri: endpoints.tokenEndpoint, redirectUri: input.redirectUri, scope: input.scope });
  });

  test('a standalone launch sends no launch parameter', async () => {
    const { url } = await prepareAuthorization({ ...input, launch: undefined });
    expect(new URL(url).searchParams.has('launch')).toBe(false);
  });

  test('the token request sends the code, redirect URI, PKCE verifier, client id and a private_key_jwt assertion', () => {
    const signingKey = appSigningKeyFromJwk(generateAppJwk());
    const tenant = loadConfig({}).tenants[0];
    const body = codeExchangeBody(
      { state: { serverUrl: input.iss, clientId: 'itdd-consent' }, code: 'the-code', tenant, signingKey, jwksUrl: 'https://app.example/.well-known/jwks.json' },
      endpoints.tokenEndpoint,
      input.redirectUri,
      'the-verifier',
    );
    expect(body.get('grant_type')).toBe('authorization_code');
    expect(body.get('code')).toBe('the-code');
    expect(body.get('redirect_uri')).toBe(input.redirectUri);
    expect(body.get('code_verifier')).toBe('the-verifier');
    expect(body.get('client_id')).toBe('itdd-consent');
    expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = jwt.verify(body.get('client_assertion') ?? '', crypto.createPublicKey(signingKey.privateKey), { algorithms: ['RS384'] }) as jwt.JwtPayload;
    expect(assertion).toMatchObject({ iss: 'itdd-consent', sub: 'itdd-consent', aud: endpoints.tokenEndpoint });
  });
});
