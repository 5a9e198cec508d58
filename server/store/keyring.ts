import type { AppConfig } from '../config';
import { AppError } from '../errors';
import { loadExistingSecret, loadOrCreateSecret } from './local-secrets';
import type { SealedBox } from './sealed-box';
import { createSealedBox, keyringOf } from './sealed-box';

/** The sandbox's generated key, in `<dataDir>/secrets/` (local-secrets.ts). */
const LOCAL_KEY_NAME = 'token-encryption-key';

export type KeyringConfig = Pick<AppConfig, 'tokenEncryptionKey' | 'tokenEncryptionPreviousKeys' | 'dataDir'>;

/**
 * The box that seals and opens data at rest: `TOKEN_ENCRYPTION_KEY` seals, it and every key of
 * `TOKEN_ENCRYPTION_PREVIOUS_KEYS` open (config.ts has checked them all). Without a configured key (sandbox only)
 * the key generated in the data folder seals.
 * @param options.createLocalKey - false for a command: a fresh key could open nothing, so a missing one is an error.
 */
export function sealedBoxFor(config: KeyringConfig, options: { createLocalKey: boolean }): SealedBox {
  const previous = config.tokenEncryptionPreviousKeys.map((key) => Buffer.from(key, 'base64'));
  if (config.tokenEncryptionKey !== undefined) {
    return createSealedBox(keyringOf(Buffer.from(config.tokenEncryptionKey, 'base64'), previous));
  }
  const local = options.createLocalKey
    ? loadOrCreateSecret(config.dataDir, LOCAL_KEY_NAME, 32)
    : loadExistingSecret(config.dataDir, LOCAL_KEY_NAME, 32);
  if (local === undefined) {
    throw new AppError('bad_request', 'TOKEN_ENCRYPTION_KEY is not set and there is no generated key in the data folder.', {
      hint: 'Run the command with the same TOKEN_ENCRYPTION_KEY (and DATA_DIR) as the app.',
    });
  }
  if (previous.some((key) => key.equals(local))) {
    throw new Error('Encryption keys: a TOKEN_ENCRYPTION_PREVIOUS_KEYS entry is the current (generated) key');
  }
  return createSealedBox(keyringOf(local, previous));
}
