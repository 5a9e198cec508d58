import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config';
import { loadOrCreateJsonKey } from '../store/local-secrets';

/**
 * The app's asymmetric client credentials (SMART "confidential asymmetric" client, private_key_jwt).
 * See https://hl7.org/fhir/smart-app-launch/STU2.2/client-confidential-asymmetric.html
 * Production keys come from configuration; the sandbox generates one at first start (never committed).
 */
export type SigningAlg = 'RS384' | 'ES384';
/** Node's JWK type (the DOM one lacks the index signature node:crypto wants). */
export type Jwk = crypto.JsonWebKey;

export interface AppSigningKey {
  kid: string;
  alg: SigningAlg;
  /** The private JWK as configured (with `kid` and `alg`). */
  privateJwk: Jwk & { kid: string; alg: SigningAlg };
  privateKey: crypto.KeyObject;
  /** What `/.well-known/jwks.json` publishes: public members only. */
  publicJwk: Jwk & { kid: string; alg: SigningAlg; use: 'sig' };
}

/** A new RS384 key pair as a private JWK with `kid` and `alg` (what fhirclient's importJWK requires). */
export function generateAppJwk(): Jwk & { kid: string; alg: SigningAlg } {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomUUID(), alg: 'RS384' };
}

/**
 * Checks and indexes a configured private JWK.
 * @throws Error when the key is not a private RSA/EC key with a `kid` and an RS384/ES384 `alg`.
 */
export function appSigningKeyFromJwk(jwk: Jwk & { kid?: string }): AppSigningKey {
  if (jwk.alg !== 'RS384' && jwk.alg !== 'ES384') {
    throw new Error('The app signing key must declare alg RS384 or ES384 (SMART client-confidential-asymmetric)');
  }
  if (typeof jwk.kid !== 'string' || jwk.kid === '') {
    throw new Error('The app signing key needs a kid');
  }
  if (jwk.d === undefined) {
    throw new Error('The app signing key must be a private key');
  }
  const alg: SigningAlg = jwk.alg;
  const privateKey = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const publicOnly = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
  return {
    kid: jwk.kid,
    alg,
    privateJwk: { ...jwk, kid: jwk.kid, alg },
    privateKey,
    publicJwk: { ...publicOnly, kid: jwk.kid, alg, use: 'sig' },
  };
}

/**
 * A client assertion for the token endpoint: iss = sub = client_id, aud = token URL, a fresh jti, and an expiry
 * well inside the five minutes the spec allows.
 */
export function signClientAssertion(key: AppSigningKey, clientId: string, tokenUrl: string, jwksUrl: string): string {
  return jwt.sign({ jti: crypto.randomUUID() }, key.privateKey, {
    algorithm: key.alg,
    keyid: key.kid,
    header: { alg: key.alg, typ: 'JWT', kid: key.kid, jku: jwksUrl },
    issuer: clientId,
    subject: clientId,
    audience: tokenUrl,
    expiresIn: 120,
  });
}

/**
 * The app's signing key: the configured `APP_PRIVATE_JWK`, else (sandbox) the one generated at first start in
 * `DATA_DIR`. The server and the commands (the gap report) use the same key, so the EHR finds it in the app's JWKS.
 */
export function appSigningKeyFor(config: Pick<AppConfig, 'appPrivateJwk' | 'dataDir'>): AppSigningKey {
  if (config.appPrivateJwk !== undefined) {
    return appSigningKeyFromJwk(config.appPrivateJwk);
  }
  return appSigningKeyFromJwk(loadOrCreateJsonKey(config.dataDir, 'app-signing-key', generateAppJwk));
}
