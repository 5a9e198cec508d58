import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateJsonKey, loadOrCreateSecret } from '../../server/store/local-secrets';

describe('local secrets (sandbox only)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-secrets-'));
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a random secret once, private to the owner, and returns the same one afterwards', () => {
    const first = loadOrCreateSecret(dataDir, 'token-key', 32);
    expect(first).toHaveLength(32);
    expect(loadOrCreateSecret(dataDir, 'token-key', 32).equals(first)).toBe(true);
    expect(loadOrCreateSecret(dataDir, 'other-key', 32).equals(first)).toBe(false);
    const file = path.join(dataDir, 'secrets', 'token-key.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['other-key.key', 'token-key.key']);
  });

  it('tightens a secret file someone made readable to others', () => {
    loadOrCreateSecret(dataDir, 'token-key', 32);
    const file = path.join(dataDir, 'secrets', 'token-key.key');
    fs.chmodSync(file, 0o644);
    loadOrCreateSecret(dataDir, 'token-key', 32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses an existing secret of the wrong length', () => {
    loadOrCreateSecret(dataDir, 'token-key', 16);
    expect(() => loadOrCreateSecret(dataDir, 'token-key', 32)).toThrow(/not 32 bytes/);
  });

  it('refuses names that could escape the secrets folder', () => {
    expect(() => loadOrCreateSecret(dataDir, '../evil', 32)).toThrow(/secret name/);
    expect(() => loadOrCreateJsonKey(dataDir, 'a/b', () => ({}))).toThrow(/secret name/);
  });

  it('creates a JSON key with the factory only on first use', () => {
    const create = jest.fn(() => ({ kty: 'EC', d: 'private-part' }));
    expect(loadOrCreateJsonKey(dataDir, 'signing-jwk', create)).toEqual({ kty: 'EC', d: 'private-part' });
    expect(loadOrCreateJsonKey(dataDir, 'signing-jwk', create)).toEqual({ kty: 'EC', d: 'private-part' });
    expect(create).toHaveBeenCalledTimes(1);
    expect(fs.statSync(path.join(dataDir, 'secrets', 'signing-jwk.json')).mode & 0o777).toBe(0o600);
  });
});
