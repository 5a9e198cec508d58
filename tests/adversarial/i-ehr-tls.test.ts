import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { loadConfig } from '../../server/config';
import { CookieAgent } from '../support/cookie-agent';
import type { KeyAndCert, TestCerts } from '../support/test-certs';
import { makeTestCerts, opensslAvailable } from '../support/test-certs';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Security research §6 I3: an EHR whose TLS certificate is self-signed, for another host, or expired is refused
 * (fail closed): the launch stops with a clear page, and no HTTP request — so no code, client assertion or token —
 * reaches that server. The deployment trusts its EHR's CA (here a test CA added to the process's default CAs, as
 * NODE_EXTRA_CA_CERTS would): the good certificate works, so each refusal is the certificate's doing.
 */
interface TlsEhr {
  iss: string;
  /** HTTP requests that got through the handshake. */
  requests: string[];
  /** TCP connections the app opened, and how many of them completed the TLS handshake. */
  readonly connections: number;
  readonly secured: number;
  useCertificate(pair: KeyAndCert): void;
  close(): Promise<void>;
}

async function startTlsEhr(pair: KeyAndCert): Promise<TlsEhr> {
  const requests: string[] = [];
  let connections = 0;
  let secured = 0;
  let origin = '';
  const server = https.createServer(pair, (req, res) => {
    requests.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    req.resume();
    if (req.method === 'GET' && req.url === '/fhir/.well-known/smart-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: `${origin}/fhir`,
        authorization_endpoint: `${origin}/auth/authorize`,
        token_endpoint: `${origin}/auth/token`,
        code_challenge_methods_supported: ['S256'],
        capabilities: ['launch-ehr', 'client-confidential-asymmetric', 'sso-openid-connect'],
      }));
      return;
    }
    res.writeHead(404).end();
  });
  server.on('connection', () => {
    connections += 1;
  });
  server.on('secureConnection', () => {
    secured += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    iss: `${origin}/fhir`,
    requests,
    get connections(): number {
      return connections;
    },
    get secured(): number {
      return secured;
    },
    useCertificate(next: KeyAndCert): void {
      server.setSecureContext(next);
      // Open connections keep the certificate they were made with: close them, as a server restart would.
      server.closeAllConnections();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const canMakeCerts = opensslAvailable();
if (!canMakeCerts) {
  console.warn('I3 skipped: the openssl command is not installed, so no test certificates can be made.');
}

(canMakeCerts ? describe : describe.skip)('I3: a bad EHR certificate fails closed', () => {
  let certs: TestCerts;
  let system: TestSystem;
  const ehrs: Record<'good' | 'selfSigned' | 'wrongHost' | 'expired' | 'swapped', TlsEhr> = {} as never;
  const defaultCas = tls.getCACertificates('default');

  beforeAll(async () => {
    certs = makeTestCerts();
    tls.setDefaultCACertificates([...defaultCas, certs.ca]);
    ehrs.good = await startTlsEhr(certs.good);
    ehrs.selfSigned = await startTlsEhr(certs.selfSigned);
    ehrs.wrongHost = await startTlsEhr(certs.wrongHost);
    ehrs.expired = await startTlsEhr(certs.expired);
    ehrs.swapped = await startTlsEhr(certs.good);
    system = await startTestSystem({
      SANDBOX: 'off',
      ITDD_ENV: 'sandbox',
      EHR_TENANTS: JSON.stringify(Object.entries(ehrs).map(([name, ehr]) => ({ id: name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), name, iss: ehr.iss, vendor: 'generic', clientId: 'itdd-consent', authOrigins: [new URL(ehr.iss).origin] }))),
    });
  });

  afterAll(async () => {
    tls.setDefaultCACertificates(defaultCas);
    await system.close();
    await Promise.all(Object.values(ehrs).map((ehr) => ehr.close()));
  });

  const launch = (ehr: TlsEhr, agent = new CookieAgent()): Promise<Response> =>
    agent.request(`${system.appUrl}/launch?iss=${encodeURIComponent(ehr.iss)}&launch=launch-123`);

  test('I3: the EHR with a certificate the deployment trusts is launched from (the control)', async () => {
    const response = await launch(ehrs.good);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/auth\/authorize\?/);
    expect(ehrs.good.requests).toEqual(['GET /fhir/.well-known/smart-configuration']);
  });

  test.each([
    ['self-signed', 'selfSigned'],
    ['for another host', 'wrongHost'],
    ['expired', 'expired'],
  ] as const)('I3: an EHR whose certificate is %s is refused before any request is sent, with a clear page', async (_label, name) => {
    const ehr = ehrs[name];
    const response = await launch(ehr);
    expect(response.status).toBe(502);
    const page = await response.text();
    expect(page).toMatch(/The EHR could not be reached/);
    expect(page).not.toMatch(/certificate|CERT_|SELF_SIGNED|altnames/i); // the clinician gets no TLS internals
    // The app did connect, and broke the handshake off: nothing was ever sent over it.
    expect(ehr.connections).toBeGreaterThan(0);
    expect(ehr.secured).toBe(0);
    expect(ehr.requests).toEqual([]);
  });

  test('I3: an EHR whose certificate turns bad after the sign-in began gets no authorization code and no client assertion', async () => {
    const ehr = ehrs.swapped;
    const agent = new CookieAgent();
    const started = await launch(ehr, agent);
    expect(started.status).toBe(303);
    const state = new URL(started.headers.get('location') ?? '').searchParams.get('state') ?? '';
    ehr.useCertificate(certs.selfSigned);
    const [connectionsBefore, securedBefore] = [ehr.connections, ehr.secured];
    const callback = await agent.request(`${system.appUrl}/callback?code=secret-code-1&state=${state}`);
    expect(callback.status).toBe(502);
    expect(await callback.text()).toMatch(/The EHR did not hand over access for this launch/);
    expect(ehr.requests).toEqual(['GET /fhir/.well-known/smart-configuration']); // no POST /auth/token
    expect(ehr.connections).toBeGreaterThan(connectionsBefore);
    expect(ehr.secured).toBe(securedBefore);
    expect(system.logLines.join('\n')).not.toContain('secret-code-1');
  });
});

test('I3: production refuses to start with certificate checks turned off for the process (NODE_TLS_REJECT_UNAUTHORIZED=0)', () => {
  const production = {
    EHR_TENANTS: JSON.stringify([{ id: 'epic-prod', name: 'Epic', iss: 'https://fhir.example.org/api/FHIR/R4', vendor: 'epic', clientId: 'itdd' }]),
    APP_BASE_URL: 'https://itdd.example.org',
    APP_PRIVATE_JWK: '{"kty":"RSA"}',
    TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    DATABASE_URL: 'postgres://db.example/itdd',
    SANDBOX: 'off',
  };
  expect(loadConfig(production).env).toBe('production');
  expect(() => loadConfig({ ...production, NODE_TLS_REJECT_UNAUTHORIZED: '0' })).toThrow(/Refusing to start in production: TLS certificate checks cannot be turned off/);
  // Node itself turns the checks off only for "0"; anything else leaves them on.
  expect(loadConfig({ ...production, NODE_TLS_REJECT_UNAUTHORIZED: '1' }).env).toBe('production');
});
