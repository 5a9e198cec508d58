import crypto from 'node:crypto';
import { createSealedBox, deriveKeyId } from '../../server/store/sealed-box';
import { AppError } from '../../server/errors';

const key = (): Buffer => crypto.randomBytes(32);

/** Flips one bit of the decoded part at `index` (1 = key id … 4 = tag) and re-encodes, so base64 slack cannot hide it. */
function flipByte(sealed: string, partIndex: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[partIndex] ?? '', 'base64url');
  bytes.writeUInt8(bytes.readUInt8(0) ^ 0x01, 0);
  parts[partIndex] = bytes.toString('base64url');
  return parts.join('.');
}

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).details?.reason;
  }
  throw new Error('expected the call to throw');
}

describe('sealed box', () => {
  const value = { accessToken: 'eyJ.secret-access.token', refreshToken: 'r-123', nested: [1, 'two', null] };

  it('round-trips JSON values and never shows the plain text', () => {
    const box = createSealedBox({ current: { id: 'k1', key: key() } });
    const sealed = box.seal(value, 'row-1');
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('secret-access');
    expect(box.open(sealed, 'row-1')).toEqual(value);
    expect(box.open(box.seal('just a string'))).toBe('just a string');
  });

  it('uses a fresh IV each time, so equal values do not look equal', () => {
    const box = createSealedBox({ current: { id: 'k1', key: key() } });
    expect(box.seal(value)).not.toBe(box.seal(value));
  });

  it('detects a flipped byte in the ciphertext, the tag or the IV', () => {
    const box = createSealedBox({ current: { id: 'k1', key: key() } });
    const sealed = box.seal(value);
    for (const part of [2, 3, 4]) {
      expect(reasonOf(() => box.open(flipByte(sealed, part)))).toBe('tampered');
    }
  });

  it('refuses a value sealed for another context (copied between rows)', () => {
    const box = createSealedBox({ current: { id: 'k1', key: key() } });
    expect(reasonOf(() => box.open(box.seal(value, 'row-1'), 'row-2'))).toBe('tampered');
  });

  it('refuses a value sealed under a different key with the same id', () => {
    const sealed = createSealedBox({ current: { id: 'k1', key: key() } }).seal(value);
    const other = createSealedBox({ current: { id: 'k1', key: key() } });
    expect(reasonOf(() => other.open(sealed))).toBe('tampered');
  });

  it('refuses a value whose key id is not in the keyring', () => {
    const sealed = createSealedBox({ current: { id: 'old', key: key() } }).seal(value);
    const box = createSealedBox({ current: { id: 'new', key: key() } });
    expect(reasonOf(() => box.open(sealed))).toBe('unknown_key');
  });

  it('refuses malformed input', () => {
    const box = createSealedBox({ current: { id: 'k1', key: key() } });
    for (const junk of ['', 'plain text', 'v2.k1.a.b.c', 'v1.k1.a.b', `${box.seal(1)}.extra`]) {
      expect(reasonOf(() => box.open(junk))).toBe('malformed');
    }
  });

  it('rotates keys: new values use the current key, old values still open with `previous`', () => {
    const oldKey = { id: 'k1', key: key() };
    const oldSealed = createSealedBox({ current: oldKey }).seal(value, 'ctx');
    const rotated = createSealedBox({ current: { id: 'k2', key: key() }, previous: [oldKey] });
    expect(rotated.open(oldSealed, 'ctx')).toEqual(value);
    const newSealed = rotated.seal(value, 'ctx');
    expect(newSealed.split('.')[1]).toBe('k2');
    expect(reasonOf(() => createSealedBox({ current: oldKey }).open(newSealed, 'ctx'))).toBe('unknown_key');
  });

  it('refuses bad keyrings', () => {
    expect(() => createSealedBox({ current: { id: 'k1', key: crypto.randomBytes(16) } })).toThrow(/32 bytes/);
    expect(() => createSealedBox({ current: { id: 'a.b', key: key() } })).toThrow(/key id/);
    const k = { id: 'k1', key: key() };
    expect(() => createSealedBox({ current: k, previous: [k] })).toThrow(/twice/);
  });

  it('refuses to seal what JSON cannot carry', () => {
    const box = createSealedBox({ current: { id: 'k1', key: key() } });
    expect(() => box.seal(undefined)).toThrow(AppError);
  });

  it('derives a stable key id that is not the key', () => {
    const k = key();
    expect(deriveKeyId(k)).toBe(deriveKeyId(Buffer.from(k)));
    expect(deriveKeyId(k)).toMatch(/^k[0-9a-f]{12}$/);
    expect(deriveKeyId(k)).not.toBe(deriveKeyId(key()));
  });
});
