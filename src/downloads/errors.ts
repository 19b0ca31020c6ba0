import { formatBytes } from './progress.ts';

/** Errors of model downloads, each with a stable `code` and a message the user can act on. */

/** The download cannot fit in the browser's storage; nothing of it is left half-stored. */
export class QuotaError extends Error {
  readonly code = 'quota';
  override name = 'QuotaError';
  readonly neededBytes: number;
  readonly availableBytes: number | null;
  constructor(neededBytes: number, availableBytes: number | null, options?: { cause?: unknown }) {
    super(
      availableBytes === null
        ? `The browser ran out of storage for this model (it needs ${formatBytes(neededBytes)} more). ` +
            'Nothing was kept. Delete other models or free disk space, then try again.'
        : `Not enough storage: this download needs ${formatBytes(neededBytes)} but only ` +
            `${formatBytes(availableBytes)} is available to this site. Delete other models or free disk space, then try again.`,
      options,
    );
    this.neededBytes = neededBytes;
    this.availableBytes = availableBytes;
  }
}

/** The bytes received do not hash to the value in the repo's tree. */
export class VerificationError extends Error {
  readonly code = 'verification-failed';
  override name = 'VerificationError';
  readonly path: string;
  constructor(path: string, expected: string, actual: string) {
    super(
      `${path} arrived damaged twice (its checksum is ${actual.slice(0, 12)}…, expected ${expected.slice(0, 12)}…). ` +
        'It was discarded; try the download again later.',
    );
    this.path = path;
  }
}

/** The server answered something that is not the file (an HTML page, a wrong status or length). */
export class NotAFileError extends Error {
  readonly code = 'not-a-file';
  override name = 'NotAFileError';
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`The download of ${path} did not return the file (${reason}); nothing of that answer was stored. ` +
      'A captive portal or proxy may be in the way; try again on another network.');
    this.path = path;
  }
}

/** The connection kept failing without progress; what arrived is kept for the next try. */
export class DownloadNetworkError extends Error {
  readonly code = 'network';
  override name = 'DownloadNetworkError';
  constructor(path: string, options?: { cause?: unknown }) {
    super(`The download of ${path} keeps failing (connection lost or server busy). What arrived is kept; press Download to resume.`, options);
  }
}

/** A transient failure the manager retries; not shown to users. */
export class TransientDownloadError extends Error {
  readonly code = 'transient';
  override name = 'TransientDownloadError';
}
