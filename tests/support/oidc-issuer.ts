import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TenantConfig } from '../../server/config';
import type { RecordingServer } from './recording-server';
import { sendJson, startRecordingServer } from './recording-server';

/**
 * An OpenID issuer on a local recording server (its configuration and JWKS), with a tenant whose FHIR base is
 * `<origin>/fhir`, and a signer for id_tokens it would issue: for tests of what the app accepts as an identity.
 */
export interface TestIssuer {
  server: RecordingServer;
  tenant: TenantConfig;
  fhirBase: string;
  /** Signs an id_token for client `app` (iss, aud, sub, fhirUser and a 5-minute expiry unless the claims say). */
  sign(claims?: Record<string, unknown>): string;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const server = await startRecordingServer();
  const fhirBase = `${server.origin}/fhir`;
  server.handle((req, res) => {
    if (req.url === '/fhir/.well-known/openid-configuration') {
      sendJson(res, 200, { issuer: fhirBase, jwks_uri: `${server.origin}/jwks` }, 'application/json');
    } else if (req.url === '/jwks') {
      sendJson(res, 200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }] }, 'application/json');
    } else {
      res.writeHead(404).end();
    }
  });
  const tenant: TenantConfig = { id: 'issuer', name: 'Issuer', iss: fhirBase, vendor: 'generic', clientId: 'app', authOrigins: [server.origin], frameOrigins: [] };
  const sign = (claims: Record<string, unknown> = {}): string => {
    // `iat: undefined` asks for a token without an issue time (jsonwebtoken adds one otherwise).
    const withoutIat = 'iat' in claims && claims.iat === undefined;
    const payload: Record<string, unknown> = { iss: fhirBase, aud: 'app', sub: 'user-1', fhirUser: `${fhirBase}/Practitioner/p1`, ...claims };
    if (withoutIat) {
      delete payload.iat;
    }
    return jwt.sign(payload, privateKey, {
      algorithm: 'RS256',
      keyid: 'k1',
      ...('exp' in claims ? {} : { expiresIn: 300 }),
      ...(withoutIat ? { noTimestamp: true } : {}),
    });
  };
  return { server, tenant, fhirBase, sign };
}
