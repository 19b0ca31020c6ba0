/** An answer before it is written, so that faults can be applied to it in one place. */
export interface HubResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Offset in the served file of the body's first byte (the range start); 0 for non-file bodies. */
  fileOffset: number;
}

export type ErrorCode = 'RepoNotFound' | 'RevisionNotFound' | 'EntryNotFound' | 'GatedRepo';

export const MESSAGES = {
  invalidCredentials: 'Invalid credentials in Authorization header',
  // (inferred) The hub's answer when a token is required and none was sent.
  noCredentials: 'Invalid username or password.',
  repoNotFound: 'Repository not found',
  disabled: 'Access to this resource is disabled.',
  entryNotFound: 'Entry not found',
  notFound: "Sorry, we can't find the page you are looking for.",
  invalidRevision: (revision: string) => `Invalid rev id: ${revision}`,
  gatedAnonymous: (id: string) =>
    `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
  gatedNotAccepted: (id: string) =>
    `Access to model ${id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${id} to ask for access.`,
  // (inferred) A fine-grained token without the "read gated repos" permission.
  gatedTokenScope: (id: string) =>
    `Access to model ${id} is restricted. Your fine-grained token does not have permission to read the contents of public gated repositories you can access. Visit https://huggingface.co/settings/tokens to edit it.`,
  rateLimited: "You have exceeded the rate limit for 'api' requests. Please retry later.",
  serverError: "Internal Error - We're working hard to fix this as soon as possible!",
} as const;

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): HubResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: Buffer.from(JSON.stringify(value)),
    fileOffset: 0,
  };
}

/** The hub's error shape: JSON `error`, the same text in X-Error-Message, and X-Error-Code when classified. */
export function errorResponse(
  status: number,
  message: string,
  code?: ErrorCode,
  headers: Record<string, string> = {},
): HubResponse {
  return jsonResponse(
    status,
    { error: message },
    { 'X-Error-Message': message, ...(code ? { 'X-Error-Code': code } : {}), ...headers },
  );
}

export function textResponse(status: number, text: string, headers: Record<string, string> = {}): HubResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers },
    body: Buffer.from(text),
    fileOffset: 0,
  };
}

export function htmlPage(title: string): HubResponse {
  const html =
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><p>Please sign in to the network to continue.</p></body></html>\n`;
  return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: Buffer.from(html), fileOffset: 0 };
}

export type ParsedRange = { kind: 'none' } | { kind: 'unsatisfiable' } | { kind: 'range'; start: number; end: number };

/**
 * One `bytes=` range: `a-b`, `a-` or the suffix `-n`. Multiple ranges and malformed headers are
 * ignored (answered 200 with the whole file), as servers may.
 */
export function parseRange(header: string | undefined, size: number): ParsedRange {
  if (!header) return { kind: 'none' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'none' };
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return { kind: 'none' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

/** 200, 206 or 416 for a byte range of `content`, with the given identifying headers. */
export function bytesResponse(
  content: Buffer,
  rangeHeader: string | undefined,
  headers: Record<string, string>,
): HubResponse {
  const size = content.length;
  const range = parseRange(rangeHeader, size);
  const common = { 'Accept-Ranges': 'bytes', ...headers };
  if (range.kind === 'unsatisfiable') {
    return {
      status: 416,
      headers: { ...common, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Range': `bytes */${size}` },
      body: Buffer.from('Requested Range Not Satisfiable'),
      fileOffset: 0,
    };
  }
  if (range.kind === 'none') return { status: 200, headers: common, body: content, fileOffset: 0 };
  return {
    status: 206,
    headers: { ...common, 'Content-Range': `bytes ${range.start}-${range.end}/${size}` },
    body: content.subarray(range.start, range.end + 1),
    fileOffset: range.start,
  };
}

export function contentTypeFor(path: string): string {
  if (path.endsWith('.json')) return 'application/json; charset=utf-8';
  if (/\.(txt|md)$/.test(path)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/** `attachment; filename*=UTF-8''…; filename="…";` as the hub's download links carry. */
export function contentDisposition(kind: 'inline' | 'attachment', path: string): string {
  const name = path.split('/').pop() ?? path;
  return `${kind}; filename*=UTF-8''${encodeURIComponent(name)}; filename="${name.replace(/[^\x20-\x7e]|"/g, '_')}";`;
}
