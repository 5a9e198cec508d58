import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The sandbox's id_token signing key: RS256, because SMART servers "SHALL support Signing ID Tokens with RSA SHA-256". */
export interface SigningKey {
  kid: string;
  privateKey: crypto.KeyObject;
  /** The public half as published at `/auth/jwks`. */
  publicJwk: JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' };
}

const KEY_FILE = 'sandbox-id-token-key.json';

/** RFC 7638 thumbprint: a stable `kid` derived from the key itself. */
function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

function toSigningKey(privateKey: crypto.KeyObject): SigningKey {
  const jwk = crypto.createPublicKey(privateKey).export({ format: 'jwk' }) as JsonWebKey;
  const kid = thumbprint(jwk);
  return { kid, privateKey, publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' } };
}

/**
 * Loads the signing key from `keyDir`, generating it on first start. The file is created owner-only (0600) and
 * never leaves the machine; nothing is committed. Reusing it across restarts keeps issued id_tokens verifiable.
 */
export function loadOrCreateSigningKey(keyDir: string): SigningKey {
  const file = path.join(keyDir, KEY_FILE);
  if (fs.existsSync(file)) {
    const jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JsonWebKey;
    return toSigningKey(crypto.createPrivateKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' }));
  }
  fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  try {
    fs.writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return loadOrCreateSigningKey(keyDir);
    }
    throw error;
  }
  return toSigningKey(privateKey);
}

/** A throwaway key for the `id_token_bad_signature` fault: a valid RS256 signature the JWKS cannot verify. */
export function createImpostorKey(): crypto.KeyObject {
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}
