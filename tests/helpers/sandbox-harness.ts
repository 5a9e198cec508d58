import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { createSandbox } from '../../server/sandbox';
import type { Sandbox, SandboxClient, SandboxVendor } from '../../server/sandbox';

/** The synthetic data the sandbox tests run on (independent of the product's patient files). */
export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'sandbox');

export const APP_CLIENT_ID = 'itdd-consent';
export const APP_REDIRECT = 'http://localhost:4000/callback';
export const APP_LAUNCH = 'http://localhost:4000/launch.html';
export const PUBLIC_CLIENT_ID = 'public-viewer';
export const PUBLIC_REDIRECT = 'http://localhost:4100/cb';

export const FULL_SCOPE = [
  'launch openid fhirUser online_access',
  'patient/Patient.r patient/Encounter.r patient/Condition.rs patient/Observation.rs',
  'patient/MedicationRequest.rs patient/Medication.r patient/AllergyIntolerance.rs patient/Procedure.rs',
  'patient/Device.rs patient/MedicationStatement.rs patient/DocumentReference.cr user/Practitioner.r',
].join(' ');

export interface AppKey {
  kid: string;
  alg: 'RS384' | 'ES384';
  privateKey: crypto.KeyObject;
  publicJwk: JsonWebKey;
}

export function generateAppKey(alg: 'RS384' | 'ES384' = 'RS384'): AppKey {
  const pair =
    alg === 'RS384'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
      : crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const kid = crypto.randomUUID();
  const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg } as JsonWebKey;
  return { kid, alg, privateKey: pair.privateKey, publicJwk };
}

export interface Harness {
  sandbox: Sandbox;
  baseUrl: string;
  tokenUrl: string;
  appKey: AppKey;
  /** The FHIR base each access token from `launchAndToken` was granted on (a token works on that base only). */
  tokenBases: Map<string, string>;
  /** Moves the sandbox clock forward (code and token expiry). */
  advance(ms: number): void;
  /** The sandbox clock, in milliseconds. */
  now(): number;
  close(): Promise<void>;
}

export interface HarnessOptions {
  clients?: (appKey: AppKey) => SandboxClient[];
  accessTokenLifetimeSeconds?: number;
  latencyMs?: number;
}

function defaultClients(appKey: AppKey): SandboxClient[] {
  return [
    { clientId: APP_CLIENT_ID, redirectUris: [APP_REDIRECT], launchUrl: APP_LAUNCH, jwks: { keys: [appKey.publicJwk] } },
    { clientId: PUBLIC_CLIENT_ID, redirectUris: [PUBLIC_REDIRECT], launchUrl: 'http://localhost:4100/launch', public: true },
  ];
}

/** Listens first (port 0), then builds the sandbox with the real port as its base URL. */
export async function startSandbox(options: HarnessOptions = {}): Promise<Harness> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-keys-'));
  const appKey = generateAppKey();
  let offset = 0;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(keyDir, { recursive: true, force: true });
  };
  let sandbox: Sandbox;
  try {
    sandbox = await createSandbox({
      baseUrl,
      clients: (options.clients ?? defaultClients)(appKey),
      keyDir,
      dataDir: FIXTURE_DIR,
      clock: () => Date.now() + offset,
      ...(options.accessTokenLifetimeSeconds === undefined ? {} : { accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds }),
      ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    });
  } catch (error) {
    await close();
    throw error;
  }
  server.on('request', sandbox.app);
  return {
    sandbox,
    baseUrl,
    tokenUrl: `${baseUrl}/auth/token`,
    appKey,
    tokenBases: new Map(),
    advance: (ms) => {
      offset += ms;
    },
    now: () => Date.now() + offset,
    close,
  };
}

export interface AssertionOverrides {
  claims?: Record<string, unknown>;
  key?: crypto.KeyObject | string;
  algorithm?: jwt.Algorithm;
  kid?: string;
  header?: Record<string, unknown>;
}

/** A private_key_jwt client assertion, as fhirclient builds one (RS384, typ JWT, kid, 2-minute exp, fresh jti). */
export function clientAssertion(h: Harness, overrides: AssertionOverrides = {}): string {
  const now = Math.floor(h.now() / 1000);
  const claims = {
    iss: APP_CLIENT_ID,
    sub: APP_CLIENT_ID,
    aud: h.tokenUrl,
    jti: crypto.randomUUID(),
    exp: now + 120,
    ...overrides.claims,
  };
  return jwt.sign(claims, overrides.key ?? h.appKey.privateKey, {
    algorithm: overrides.algorithm ?? h.appKey.alg,
    header: { alg: overrides.algorithm ?? h.appKey.alg, typ: 'JWT', kid: overrides.kid ?? h.appKey.kid, ...overrides.header },
  });
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(48).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

export interface LaunchInput {
  user?: string;
  patient?: string;
  encounter?: string;
  vendor?: string;
  banner?: string | boolean;
  error?: string;
  deny?: string[];
  fail?: string[];
  embed?: boolean;
  writeFault?: string;
}

/** The simulator's JSON variant: returns the app launch URL's `launch` token. */
export async function simulatorLaunch(h: Harness, input: LaunchInput = {}): Promise<string> {
  const res = await fetch(`${h.baseUrl}/simulator/launch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ user: 'itdd-dr-rivera', patient: 'pat-a', ...input }),
  });
  if (res.status !== 200) {
    throw new Error(`simulator launch failed: ${res.status} ${await res.text()}`);
  }
  const { launchUrl } = (await res.json()) as { launchUrl: string };
  return new URL(launchUrl).searchParams.get('launch') as string;
}

export interface AuthorizeParams {
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  aud?: string;
  launch?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  response_type?: string;
  nonce?: string;
}

/** GET /auth/authorize without following the redirect. Undefined values are omitted. */
export async function authorize(h: Harness, params: AuthorizeParams): Promise<Response> {
  const defaults: AuthorizeParams = {
    response_type: 'code',
    client_id: APP_CLIENT_ID,
    redirect_uri: APP_REDIRECT,
    scope: FULL_SCOPE,
    state: crypto.randomUUID(),
    aud: h.sandbox.fhirBaseUrl,
    code_challenge_method: 'S256',
  };
  const url = new URL(`${h.baseUrl}/auth/authorize`);
  for (const [key, value] of Object.entries({ ...defaults, ...params })) {
    if (value !== undefined) {
      url.searchParams.set(key, value);
    }
  }
  return fetch(url, { redirect: 'manual' });
}

export function locationOf(res: Response): URL {
  const location = res.headers.get('location');
  if (location === null) {
    throw new Error(`no redirect (status ${res.status})`);
  }
  return new URL(location);
}

export async function postToken(h: Harness, form: Record<string, string | undefined>): Promise<Response> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    if (value !== undefined) {
      body.set(key, value);
    }
  }
  return fetch(h.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
}

export interface CodeResult {
  code: string;
  state: string;
  verifier: string;
}

/** The FHIR base of the vendor a launch input names (the generic one by default): the launch's `iss` and `aud`. */
export function fhirBaseFor(h: Harness, vendor: string | undefined): string {
  return h.sandbox.fhirBaseUrls[(vendor ?? 'generic') as SandboxVendor];
}

/** Simulator → authorize (EHR launch, `aud` = the launch's `iss`) → code. */
export async function ehrLaunchCode(h: Harness, input: LaunchInput = {}, params: AuthorizeParams = {}): Promise<CodeResult> {
  const launch = await simulatorLaunch(h, input);
  const { verifier, challenge } = pkcePair();
  const res = await authorize(h, { launch, code_challenge: challenge, aud: fhirBaseFor(h, input.vendor), ...params });
  const location = locationOf(res);
  const code = location.searchParams.get('code');
  if (code === null) {
    throw new Error(`authorize returned no code: ${location.search}`);
  }
  return { code, state: location.searchParams.get('state') as string, verifier };
}

/** Exchanges a code the way the app does: private_key_jwt + PKCE. */
export function exchangeCode(h: Harness, result: CodeResult): Promise<Response> {
  return postToken(h, {
    grant_type: 'authorization_code',
    code: result.code,
    redirect_uri: APP_REDIRECT,
    code_verifier: result.verifier,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: clientAssertion(h),
  });
}

export type TokenBody = Record<string, unknown> & { access_token: string; scope: string };

/** The whole EHR launch: returns the token response body. */
export async function launchAndToken(h: Harness, input: LaunchInput = {}, params: AuthorizeParams = {}): Promise<TokenBody> {
  const res = await exchangeCode(h, await ehrLaunchCode(h, input, params));
  if (res.status !== 200) {
    throw new Error(`token exchange failed: ${res.status} ${await res.text()}`);
  }
  const body = (await res.json()) as TokenBody;
  h.tokenBases.set(body.access_token, params.aud ?? fhirBaseFor(h, input.vendor));
  return body;
}

/** The FHIR base a token belongs on: where `launchAndToken` got it, else the generic base. */
export function fhirBaseOf(h: Harness, token: string | undefined): string {
  return (token === undefined ? undefined : h.tokenBases.get(token)) ?? h.sandbox.fhirBaseUrl;
}

export function fhirGet(h: Harness, token: string | undefined, pathAndQuery: string): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/fhir+json' };
  if (token !== undefined) {
    headers.authorization = `Bearer ${token}`;
  }
  return fetch(`${fhirBaseOf(h, token)}/${pathAndQuery}`, { headers });
}

export function fhirPost(
  h: Harness,
  token: string,
  type: string,
  resource: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${fhirBaseOf(h, token)}/${type}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', ...headers },
    body: JSON.stringify(resource),
  });
}
