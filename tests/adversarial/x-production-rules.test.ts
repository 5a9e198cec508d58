import { loadConfig } from '../../server/config';

/**
 * Review finding X5: production was opt-in. A real EHR configured without ITDD_ENV ran under sandbox rules (generated
 * secrets, the embedded store, plain HTTP, draft packs). Now production rules apply as soon as a real tenant is
 * configured, unless the sandbox is chosen explicitly; and production refuses http auth and frame origins.
 */
const realTenant = { id: 'epic-prod', name: 'Epic', iss: 'https://fhir.example.org/api/FHIR/R4', vendor: 'epic', clientId: 'itdd' };
const secrets = {
  APP_BASE_URL: 'https://itdd.example.org',
  APP_PRIVATE_JWK: '{"kty":"RSA"}',
  TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  DATABASE_URL: 'postgres://db.example/itdd',
  SANDBOX: 'off',
};

test('X5: a real tenant without ITDD_ENV gets production rules: no generated secrets, no embedded store, no http', () => {
  expect(() => loadConfig({ EHR_TENANTS: JSON.stringify([realTenant]), SANDBOX: 'off' })).toThrow(/Refusing to start in production.*APP_BASE_URL must be https.*APP_PRIVATE_JWK.*TOKEN_ENCRYPTION_KEY.*DATABASE_URL/);
  expect(loadConfig({ EHR_TENANTS: JSON.stringify([realTenant]), ...secrets }).env).toBe('production');
});

test('X5: a real tenant beside the embedded sandbox is production too, and production refuses the sandbox', () => {
  expect(() => loadConfig({ EHR_TENANTS: JSON.stringify([realTenant]), SANDBOX: 'on' })).toThrow(/sandbox EHR must be off/);
});

test('X5: the sandbox rules hold only when chosen explicitly or when no real EHR is configured', () => {
  expect(loadConfig({}).env).toBe('sandbox');
  expect(loadConfig({ EHR_TENANTS: JSON.stringify([{ ...realTenant, iss: 'http://localhost:9/fhir' }]), ITDD_ENV: 'sandbox' }).env).toBe('sandbox');
});

test('X5: production refuses http auth origins and frame origins', () => {
  for (const tenant of [{ ...realTenant, authOrigins: ['http://auth.example.org'] }, { ...realTenant, frameOrigins: ['http://ehr.example.org'] }]) {
    expect(() => loadConfig({ EHR_TENANTS: JSON.stringify([tenant]), ...secrets })).toThrow(/authOrigins and frameOrigins entry must be https/);
  }
});
