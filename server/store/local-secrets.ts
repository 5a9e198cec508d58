import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors';

/**
 * Secrets for the sandbox and local development only: generated with a CSPRNG at first start and kept in
 * `<dataDir>/secrets/` (mode 0600, folder 0700; `.data/` is git-ignored), so `npm start` needs no configuration
 * and no key is ever committed. Production passes its secrets through configuration instead (config.ts refuses to
 * start without them).
 */

const SECRET_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

function secretPath(dataDir: string, name: string, extension: string): string {
  if (!SECRET_NAME.test(name)) {
    throw new AppError('internal', 'A secret name must be lower-case letters, digits and "-"');
  }
  const folder = path.join(dataDir, 'secrets');
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  return path.join(folder, `${name}.${extension}`);
}

/**
 * Writes `content` to `file` only if no file is there yet: the content goes to a private temporary file first and is
 * hard-linked into place, so a reader never sees half a secret and two processes starting together agree on one.
 * @returns true when this call created the file.
 */
function createExclusively(file: string, content: string): boolean {
  const temporary = `${file}.${crypto.randomBytes(8).toString('hex')}.tmp`;
  fs.writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw error;
  } finally {
    fs.unlinkSync(temporary);
  }
}

/** Reads a secret file, first tightening its mode if someone loosened it. */
function readPrivate(file: string): string {
  if ((fs.statSync(file).mode & 0o077) !== 0) {
    fs.chmodSync(file, 0o600);
  }
  return fs.readFileSync(file, 'utf8');
}

/**
 * Returns the named random secret, creating it on first use.
 * @param bytes - its length; an existing file of another length is refused rather than silently used.
 */
export function loadOrCreateSecret(dataDir: string, name: string, bytes: number): Buffer {
  const file = secretPath(dataDir, name, 'key');
  if (!fs.existsSync(file)) {
    createExclusively(file, `${crypto.randomBytes(bytes).toString('base64')}\n`);
  }
  return readSecret(file, name, bytes);
}

/**
 * Returns the named secret if it was created already, else undefined: for a command that must work with the app's
 * key and would only do harm with a fresh one.
 */
export function loadExistingSecret(dataDir: string, name: string, bytes: number): Buffer | undefined {
  const file = path.join(dataDir, 'secrets', `${name}.key`);
  return fs.existsSync(file) ? readSecret(secretPath(dataDir, name, 'key'), name, bytes) : undefined;
}

function readSecret(file: string, name: string, bytes: number): Buffer {
  const secret = Buffer.from(readPrivate(file).trim(), 'base64');
  if (secret.length !== bytes) {
    throw new AppError('internal', `The local secret "${name}" is not ${bytes} bytes; delete it to regenerate`);
  }
  return secret;
}

/**
 * Returns the named JSON key (e.g. the app's private signing JWK), creating it with `create` on first use.
 * @param create - called only when the file does not exist yet.
 */
export function loadOrCreateJsonKey<T extends object>(dataDir: string, name: string, create: () => T): T {
  const file = secretPath(dataDir, name, 'json');
  if (!fs.existsSync(file)) {
    createExclusively(file, `${JSON.stringify(create(), null, 2)}\n`);
  }
  const text = readPrivate(file);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new AppError('internal', `The local key "${name}" is not valid JSON; delete it to regenerate`, { cause: error });
  }
}
