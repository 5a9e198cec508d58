import crypto from 'node:crypto';
import type http from 'node:http';
import jwt from 'jsonwebtoken';
import type { RecordingServer } from './recording-server';
import { sendJson, startRecordingServer } from './recording-server';

/**
 * A stand-in EHR authorization server for faults the sandbox cannot produce on demand: a discovery that fails,
 * hangs, never ends, redirects or is not JSON, one naming endpoints of its choosing, a token endpoint that redirects, signing keys that rotate. It serves SMART discovery, the
 * OpenID configuration, a JWKS and a token endpoint whose id_token it signs itself; every request is recorded.
 */
export type DiscoveryBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'huge'; bytes: number }
  /** The usual document with these fields replaced (an `undefined` field is left out). */
  | { kind: 'document'; fields: Record<string, unknown> }
  /** Any body at all: an HTML error page, broken JSON. */
  | { kind: 'raw'; status: number; contentType: string; body: string }
  | { kind: 'redirect'; location: string };

/**
 * - `ok`: a working answer; `fields` are laid over it (a field set to `undefined` is left out), `idTokenClaims`
 *   over its id_token's claims.
 * - `answer`: this status, content type and body instead (a 500 page, HTML behind a 200).
 * - `hang`: no answer at all (the connection stays open until the fake EHR closes).
 */
export type TokenBehaviour =
  | { kind: 'ok'; fields?: Record<string, unknown>; idTokenClaims?: Record<string, unknown> }
  | { kind: 'redirect'; location: string }
  | { kind: 'answer'; status: number; contentType: string; body: string }
  | { kind: 'hang' };

export interface FakeEhr {
  origin: string;
  /** The FHIR base the app is launched with. */
  iss: string;
  requests: RecordingServer['requests'];
  discovery: DiscoveryBehaviour;
  token: TokenBehaviour;
  /** The form bodies of the token requests so far (code, verifier, client assertion: what must never be logged). */
  tokenRequests: URLSearchParams[];
  /** The kid the next id_token is signed with (its key is published only if `publishedKids` lists it). */
  signingKid: string;
  publishedKids: string[];
  /** False until a huge discovery body has been written out completely (the reader took it all). */
  readonly hugeBodyCompleted: boolean;
  /** Slow discovery answers whose connection the app closed before the answer came (its deadline aborted). */
  readonly abandonedSlowAnswers: number;
  /** How many GET requests hit `path` so far. */
  count(path: string): number;
  /** The tenant entry for EHR_TENANTS. */
  tenant(id: string): Record<string, unknown>;
  close(): Promise<void>;
}

const PATHS = {
  smart: '/fhir/.well-known/smart-configuration',
  openid: '/fhir/.well-known/openid-configuration',
  jwks: '/jwks',
  authorize: '/auth/authorize',
  token: '/auth/token',
} as const;
export const FAKE_EHR_PATHS = PATHS;

/** @param clientId - the client_id the app is registered with; id_tokens are issued to it. */
export async function startFakeEhr(clientId = 'itdd-consent'): Promise<FakeEhr> {
  const server = await startRecordingServer();
  const keys = new Map<string, crypto.KeyObject>();
  const keyFor = (kid: string): crypto.KeyObject => {
    const existing = keys.get(kid);
    if (existing !== undefined) {
      return existing;
    }
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys.set(kid, privateKey);
    return privateKey;
  };
  const timers = new Set<NodeJS.Timeout>();
  let hugeBodyCompleted = false;
  let abandonedSlowAnswers = 0;
  const ehr: FakeEhr = {
    origin: server.origin,
    iss: `${server.origin}/fhir`,
    requests: server.requests,
    discovery: { kind: 'ok' },
    token: { kind: 'ok' },
    tokenRequests: [],
    signingKid: 'ehr-key-1',
    publishedKids: ['ehr-key-1'],
    get hugeBodyCompleted(): boolean {
      return hugeBodyCompleted;
    },
    get abandonedSlowAnswers(): number {
      return abandonedSlowAnswers;
    },
    count: (path) => server.requests.filter((r) => r.method === 'GET' && r.url === path).length,
    tenant: (id) => ({ id, name: `Fake EHR ${id}`, iss: `${server.origin}/fhir`, vendor: 'generic', clientId, authOrigins: [server.origin] }),
    close: async () => {
      timers.forEach((timer) => clearTimeout(timer));
      await server.close();
    },
  };
  const smartConfiguration = {
    issuer: ehr.iss,
    authorization_endpoint: `${server.origin}${PATHS.authorize}`,
    token_endpoint: `${server.origin}${PATHS.token}`,
    code_challenge_methods_supported: ['S256'],
    capabilities: ['launch-ehr', 'client-confidential-asymmetric', 'sso-openid-connect'],
  };

  async function writeHuge(res: http.ServerResponse, bytes: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('finish', () => {
      hugeBodyCompleted = true;
    });
    // Valid JSON with real endpoints: a reader that takes it whole would happily launch with it.
    const head = JSON.stringify(smartConfiguration).replace(/}$/, ',"padding":"');
    const chunk = 'x'.repeat(1024 * 1024);
    res.write(head);
    for (let sent = 0; sent < bytes && !res.destroyed; sent += chunk.length) {
      if (!res.write(chunk)) {
        await new Promise((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
    }
    res.end('"}');
  }

  function answerDiscovery(res: http.ServerResponse): void {
    const behaviour = ehr.discovery;
    if (behaviour.kind === 'status') {
      sendJson(res, behaviour.status, { error: 'server_error' }, 'application/json');
    } else if (behaviour.kind === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) {
          sendJson(res, 200, smartConfiguration, 'application/json');
        }
      }, behaviour.delayMs);
      timers.add(timer);
      res.on('close', () => {
        if (timers.has(timer)) {
          abandonedSlowAnswers += 1;
        }
      });
    } else if (behaviour.kind === 'huge') {
      void writeHuge(res, behaviour.bytes);
    } else if (behaviour.kind === 'document') {
      sendJson(res, 200, { ...smartConfiguration, ...behaviour.fields }, 'application/json');
    } else if (behaviour.kind === 'raw') {
      res.writeHead(behaviour.status, { 'content-type': behaviour.contentType, 'content-length': Buffer.byteLength(behaviour.body) }).end(behaviour.body);
    } else if (behaviour.kind === 'redirect') {
      res.writeHead(302, { location: behaviour.location }).end();
    } else {
      sendJson(res, 200, smartConfiguration, 'application/json');
    }
  }

  function answerToken(res: http.ServerResponse): void {
    const behaviour = ehr.token;
    if (behaviour.kind === 'redirect') {
      res.writeHead(307, { location: behaviour.location }).end();
      return;
    }
    if (behaviour.kind === 'answer') {
      res.writeHead(behaviour.status, { 'content-type': behaviour.contentType }).end(behaviour.body);
      return;
    }
    if (behaviour.kind === 'hang') {
      return;
    }
    const claims = { sub: 'fake-user-1', fhirUser: `${ehr.iss}/Practitioner/fake-dr`, name: 'Dr Fake', ...behaviour.idTokenClaims };
    const idToken = jwt.sign(claims, keyFor(ehr.signingKid), {
      algorithm: 'RS256',
      keyid: ehr.signingKid,
      issuer: ehr.iss,
      audience: clientId,
      expiresIn: 300,
    });
    const answer: Record<string, unknown> = {
      access_token: crypto.randomBytes(24).toString('base64url'),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'launch openid fhirUser patient/Patient.r',
      patient: 'fake-patient',
      id_token: idToken,
      ...behaviour.fields,
    };
    sendJson(res, 200, Object.fromEntries(Object.entries(answer).filter(([, value]) => value !== undefined)), 'application/json');
  }

  server.handle((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === PATHS.smart) {
      answerDiscovery(res);
    } else if (req.method === 'GET' && path === PATHS.openid) {
      sendJson(res, 200, { issuer: ehr.iss, jwks_uri: `${server.origin}${PATHS.jwks}` }, 'application/json');
    } else if (req.method === 'GET' && path === PATHS.jwks) {
      const published = ehr.publishedKids.map((kid) => ({ ...crypto.createPublicKey(keyFor(kid)).export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }));
      sendJson(res, 200, { keys: published }, 'application/json');
    } else if (req.method === 'POST' && path === PATHS.token) {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        ehr.tokenRequests.push(new URLSearchParams(raw));
        answerToken(res);
      });
    } else {
      res.writeHead(404).end();
    }
  });
  return ehr;
}
