import crypto from 'node:crypto';
import { AppError } from '../errors';

/**
 * Authenticated encryption for secrets at rest (EHR tokens, the PKCE verifier): AES-256-GCM with a random 96-bit IV
 * per value (NIST SP 800-38D §8.2.2). Output is one ASCII string, `v1.<keyId>.<iv>.<ciphertext>.<tag>`
 * (base64url), so it fits a text column on PGlite and PostgreSQL alike. The key id lets keys rotate: new values are
 * sealed with `current`, old values still open with a key listed in `previous` — found by id, not by trying each key —
 * until `npm run keys -- reseal` (server/cli/keys.ts) has moved them to the current key and the old key is retired.
 * Every value ever written has this envelope (there is no older one), so rows from before rotation existed still open.
 */
export interface SealedBox {
  /**
   * Seals a JSON value.
   * @param context - bound as additional authenticated data (e.g. the row's id), so a sealed value copied into
   *   another row does not open there.
   */
  seal(value: unknown, context?: string): string;
  /** Opens a value sealed with the same context; throws AppError when it was altered, is malformed or the key is unknown. */
  open(sealed: string, context?: string): unknown;
  /** The id of the key that seals. */
  readonly currentKeyId: string;
  /** Whether a key of this id is in the keyring (current or previous). */
  knows(keyId: string): boolean;
}

export interface SealedBoxKey {
  id: string;
  key: Buffer;
}

export interface SealedBoxKeys {
  current: SealedBoxKey;
  previous?: SealedBoxKey[];
}

const FORMAT_VERSION = 'v1';
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function cannotOpen(reason: 'malformed' | 'tampered', cause?: unknown): AppError {
  return new AppError('internal', 'Stored data could not be decrypted', { details: { reason }, cause });
}

/** The key id is not secret (a hash prefix), so the message names it: the operator can tell which key is missing. */
function unknownKey(keyId: string): AppError {
  return new AppError('internal', `Stored data could not be decrypted: it was sealed with key ${keyId}, which is not configured`, {
    details: { reason: 'unknown_key', keyId },
    hint: 'Add that key to TOKEN_ENCRYPTION_PREVIOUS_KEYS (docs/deploy.md, "Rotating the encryption key").',
  });
}

function checkedKeyring(keys: SealedBoxKeys): Map<string, Buffer> {
  const keyring = new Map<string, Buffer>();
  for (const { id, key } of [keys.current, ...(keys.previous ?? [])]) {
    if (!KEY_ID.test(id)) {
      throw new AppError('internal', 'A sealing key id must be 1-64 letters, digits, "-" or "_"');
    }
    if (key.length !== 32) {
      throw new AppError('internal', 'A sealing key must be exactly 32 bytes (AES-256)');
    }
    if (keyring.has(id)) {
      throw new AppError('internal', `Sealing key id "${id}" is listed twice`);
    }
    keyring.set(id, Buffer.from(key));
  }
  return keyring;
}

/** The header is authenticated too, so the version or key id cannot be swapped without detection. */
function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`${FORMAT_VERSION}.${keyId}.${context}`, 'utf8');
}

function sealWith(keyId: string, key: Buffer, value: unknown, context: string): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) {
    throw new AppError('internal', 'Only JSON values can be sealed');
  }
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(keyId, context));
  const ciphertext = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  const parts = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'));
  return [FORMAT_VERSION, keyId, ...parts].join('.');
}

function openWith(keyring: Map<string, Buffer>, sealed: string, context: string): unknown {
  const [version, keyId, iv, ciphertext, tag, ...rest] = sealed.split('.');
  if (version !== FORMAT_VERSION || keyId === undefined || !KEY_ID.test(keyId) || iv === undefined ||
      ciphertext === undefined || tag === undefined || rest.length > 0) {
    throw cannotOpen('malformed');
  }
  const key = keyring.get(keyId);
  if (key === undefined) {
    throw unknownKey(keyId);
  }
  const ivBytes = Buffer.from(iv, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
    throw cannotOpen('malformed');
  }
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(keyId, context));
    decipher.setAuthTag(tagBytes);
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch (error) {
    throw cannotOpen('tampered', error);
  }
}

/**
 * Builds a box over a keyring.
 * @param keys - `current` seals; `current` and every `previous` key open. Keys are 32 random bytes.
 */
export function createSealedBox(keys: SealedBoxKeys): SealedBox {
  const keyring = checkedKeyring(keys);
  const currentId = keys.current.id;
  const currentKey = keyring.get(currentId) as Buffer;
  return {
    seal: (value, context = '') => sealWith(currentId, currentKey, value, context),
    open: (sealed, context = '') => openWith(keyring, sealed, context),
    currentKeyId: currentId,
    knows: (keyId) => keyring.has(keyId),
  };
}

/**
 * The key id of a sealed value, read in SQL (the second dot-separated field of the envelope), so values can be counted
 * and selected by key without loading them. `column` must be a trusted identifier (a constant), never input.
 */
export function keyIdSql(column: string): string {
  return `split_part(${column}, '.', 2)`;
}

/**
 * The keyring of a deployment that configures raw keys (TOKEN_ENCRYPTION_KEY, TOKEN_ENCRYPTION_PREVIOUS_KEYS): each
 * key's id is derived from the key, so a value names the key that sealed it and no one has to name keys by hand.
 */
export function keyringOf(current: Buffer, previous: readonly Buffer[] = []): SealedBoxKeys {
  return { current: { id: deriveKeyId(current), key: current }, previous: previous.map((key) => ({ id: deriveKeyId(key), key })) };
}

/**
 * A stable, non-secret id for a key (first 12 hex digits of its SHA-256), for deployments that configure keys
 * without naming them. Revealing 48 bits of a hash of a 256-bit random key does not weaken it.
 */
export function deriveKeyId(key: Buffer): string {
  return `k${crypto.createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}
