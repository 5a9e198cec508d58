import { checkResponseIssuer } from '../../server/launch/discovery';
import type { TenantConfig } from '../../server/config';
import { CookieAgent } from '../support/cookie-agent';
import { launchUntilCallback } from '../support/launch-helpers';
import type { TestSystem } from '../support/system';
import { startTestSystem } from '../support/system';

/**
 * Review finding X17: the RFC 9207 `iss` of the authorization response was ignored. A response naming another
 * issuer is a mix-up (another server's code) and is refused before the code is exchanged; an EHR that promises the
 * parameter must send it.
 */
const tenant: TenantConfig = { id: 't', name: 'T', iss: 'https://ehr.example/fhir', vendor: 'generic', clientId: 'c', authOrigins: ['https://ehr.example'], frameOrigins: [] };
const endpoints = { authorizationEndpoint: 'https://ehr.example/auth', tokenEndpoint: 'https://ehr.example/token' };

test('X17: the response iss must be the EHR\'s issuer (metadata issuer, else the FHIR base), and present when promised', () => {
  expect(() => checkResponseIssuer(undefined, { ...endpoints, issParameterSupported: false }, tenant)).not.toThrow();
  expect(() => checkResponseIssuer(undefined, { ...endpoints, issParameterSupported: true }, tenant)).toThrow(/did not say which server/);
  expect(() => checkResponseIssuer('https://ehr.example/fhir', { ...endpoints, issParameterSupported: true }, tenant)).not.toThrow();
  expect(() => checkResponseIssuer('https://ehr.example/oauth2', { ...endpoints, issuer: 'https://ehr.example/oauth2', issParameterSupported: true }, tenant)).not.toThrow();
  expect(() => checkResponseIssuer('https://ehr.example/fhir', { ...endpoints, issuer: 'https://ehr.example/oauth2', issParameterSupported: true }, tenant)).toThrow(/another server/);
  expect(() => checkResponseIssuer('https://attacker.example/fhir', { ...endpoints, issParameterSupported: false }, tenant)).toThrow(/another server/);
});

describe('X17: through the sandbox EHR', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem();
  });

  afterAll(async () => {
    await system.close();
  });

  test('a callback whose iss names another server is refused and its code is never exchanged', async () => {
    const agent = new CookieAgent();
    const callback = await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent);
    const tokenRequestsBefore = (system.sandbox?.requests() ?? []).filter((r) => r.path === '/auth/token').length;
    const mixedUp = `${callback}&iss=${encodeURIComponent('https://attacker.example/fhir')}`;
    const refused = await agent.request(mixedUp);
    expect(refused.status).toBe(502);
    expect(await refused.text()).toMatch(/another server/);
    expect((system.sandbox?.requests() ?? []).filter((r) => r.path === '/auth/token').length).toBe(tokenRequestsBefore);
  });

  test('a callback whose iss is the EHR\'s own completes', async () => {
    const agent = new CookieAgent();
    const callback = await launchUntilCallback(system, { patient: 'anticoagulant-patient' }, agent);
    const own = await agent.request(`${callback}&iss=${encodeURIComponent(`${system.sandboxUrl ?? ''}/r4`)}`);
    expect(own.status).toBe(303);
    expect(own.headers.get('location')).toMatch(/^\/app\//);
  });
});
