/**
 * Typed failures of the token vault. None of them carries the token or the ciphertext; the messages
 * tell the user what happened to their saved token and what to do next.
 */
export abstract class VaultError extends Error {
  abstract readonly code: string;
}

/** The record exists but authenticated decryption failed (tampered, truncated or wrong key). */
export class VaultDecryptError extends VaultError {
  readonly code = 'vault-decrypt-failed';
  override name = 'VaultDecryptError';
  constructor(options?: ErrorOptions) {
    super('Your saved Hugging Face token could not be decrypted and was removed. Please paste your token again.', options);
  }
}

/** A record exists but the key that encrypted it is gone (site data partly cleared). */
export class VaultKeyMissingError extends VaultError {
  readonly code = 'vault-key-missing';
  override name = 'VaultKeyMissingError';
  constructor() {
    super('The key protecting your saved Hugging Face token is missing, so the token was removed. Please paste your token again.');
  }
}

/** The record was validated against another hub; it must never be sent to this one. */
export class VaultHubMismatchError extends VaultError {
  readonly code = 'vault-hub-mismatch';
  override name = 'VaultHubMismatchError';
  readonly recordHubUrl: string;
  constructor(recordHubUrl: string, expectedHubUrl: string) {
    super(`Your saved token belongs to ${recordHubUrl}, not to ${expectedHubUrl}, so it was removed without being used. Please paste a token for ${expectedHubUrl}.`);
    this.recordHubUrl = recordHubUrl;
  }
}

/** The stored record does not have the expected shape (older version, partial write, tampering). */
export class VaultCorruptRecordError extends VaultError {
  readonly code = 'vault-record-corrupt';
  override name = 'VaultCorruptRecordError';
  constructor(detail: string) {
    super(`Your saved Hugging Face token was damaged (${detail}) and was removed. Please paste your token again.`);
  }
}

/** IndexedDB or Web Crypto is not available (private mode in some browsers, very old browsers). */
export class VaultUnavailableError extends VaultError {
  readonly code = 'vault-unavailable';
  override name = 'VaultUnavailableError';
  constructor(options?: ErrorOptions) {
    super("This browser can't store the token securely (IndexedDB or Web Crypto is unavailable), so it can't be saved.", options);
  }
}
