import type { Caller, HubState } from './hub-state.ts';
import type { LoadedRepo, RepoFile } from './repo-loader.ts';
import { lfsPointer, sha1Hex } from './repo-loader.ts';
import {
  bytesResponse,
  contentDisposition,
  contentTypeFor,
  errorResponse,
  jsonResponse,
  MESSAGES,
  textResponse,
  type HubResponse,
} from './responses.ts';

/** A hub request once routed; ids keep the position of their raw segments for 307 rewrites. */
export type HubRoute =
  | { kind: 'whoami' }
  | { kind: 'avatar'; name: string }
  | { kind: 'modelInfo'; repoId: string; idSpan: [number, number]; revision: string | null }
  | { kind: 'tree'; repoId: string; idSpan: [number, number]; revision: string; path: string }
  | { kind: 'authCheck'; repoId: string; idSpan: [number, number] }
  | { kind: 'file'; repoId: string; idSpan: [number, number]; revision: string; path: string; raw: boolean }
  | { kind: 'unknown' };

export interface HubRequest {
  method: 'GET' | 'HEAD';
  /** Path segments still percent-encoded, so a `refs%2Fpr%2F1` revision stays one segment. */
  rawSegments: string[];
  query: URLSearchParams;
  search: string;
  range: string | undefined;
  /** `http://host:port` as the client addressed us, for absolute `Link` URLs. */
  publicOrigin: string;
  caller: Caller;
}

export interface HubApiOptions {
  treePageSize: number;
  /** Presigned CDN URL for an LFS file. */
  cdnUrlFor: (repo: LoadedRepo, file: RepoFile) => string;
}

const MODEL_SUBRESOURCES = new Set(['revision', 'tree', 'auth-check']);
const FILE_ACTIONS = new Set(['resolve', 'raw']);

export function parseHubRoute(rawSegments: string[]): HubRoute {
  const segments = rawSegments.map(safeDecode);
  if (segments.some((segment) => segment === null)) return { kind: 'unknown' };
  const seg = segments as string[];

  if (seg[0] === 'api' && seg[1] === 'whoami-v2' && seg.length === 2) return { kind: 'whoami' };
  if (seg[0] === 'avatars' && seg.length === 2) return { kind: 'avatar', name: seg[1] };
  if (seg[0] === 'api' && seg[1] === 'models' && seg.length >= 3) {
    const idLength = seg.length >= 4 && !MODEL_SUBRESOURCES.has(seg[3]) ? 2 : 1;
    const idSpan: [number, number] = [2, 2 + idLength];
    const repoId = seg.slice(...idSpan).join('/');
    const [sub, revision, ...pathParts] = seg.slice(idSpan[1]);
    if (sub === undefined) return { kind: 'modelInfo', repoId, idSpan, revision: null };
    if (sub === 'revision' && revision && pathParts.length === 0) return { kind: 'modelInfo', repoId, idSpan, revision };
    if (sub === 'auth-check' && revision === undefined) return { kind: 'authCheck', repoId, idSpan };
    if (sub === 'tree' && revision) {
      return { kind: 'tree', repoId, idSpan, revision, path: pathParts.filter(Boolean).join('/') };
    }
    return { kind: 'unknown' };
  }
  if (seg[0] !== 'api') {
    const actionAt = FILE_ACTIONS.has(seg[1]) ? 1 : FILE_ACTIONS.has(seg[2]) ? 2 : -1;
    if (actionAt > 0 && seg.length >= actionAt + 3) {
      const idSpan: [number, number] = [0, actionAt];
      return {
        kind: 'file',
        repoId: seg.slice(0, actionAt).join('/'),
        idSpan,
        revision: seg[actionAt + 1],
        path: seg.slice(actionAt + 2).join('/'),
        raw: seg[actionAt] === 'raw',
      };
    }
  }
  return { kind: 'unknown' };
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The hub's API and file routes, answering from the state. */
export class HubApi {
  constructor(
    private readonly state: HubState,
    private readonly options: HubApiOptions,
  ) {}

  handle(request: HubRequest, route: HubRoute): HubResponse {
    if (request.caller.kind === 'invalid') return errorResponse(401, MESSAGES.invalidCredentials);
    switch (route.kind) {
      case 'whoami':
        return this.whoami(request.caller);
      case 'avatar':
        return avatar(route.name);
      case 'unknown':
        return errorResponse(404, MESSAGES.notFound);
      default:
        return this.repoRoute(request, route);
    }
  }

  private whoami(caller: Caller): HubResponse {
    if (caller.kind !== 'user') return errorResponse(401, MESSAGES.noCredentials);
    const { user, token } = caller;
    return jsonResponse(200, {
      type: 'user',
      id: objectIdOf(`user:${user.name}`),
      name: user.name,
      fullname: user.fullname,
      email: user.email ?? `${user.name}@example.com`,
      emailVerified: true,
      canPay: false,
      isPro: false,
      periodEnd: null,
      avatarUrl: user.avatarUrl ?? `/avatars/${user.name}.svg`,
      orgs: (user.orgs ?? []).map((org) => ({
        type: 'org',
        id: objectIdOf(`org:${org}`),
        name: org,
        fullname: org,
        email: null,
        canPay: false,
        isEnterprise: false,
        periodEnd: null,
        avatarUrl: `/avatars/${org}.svg`,
        roleInOrg: 'read',
      })),
      auth: {
        type: 'access_token',
        accessToken: {
          displayName: token.displayName ?? 'local-sd',
          role: token.role,
          createdAt: token.createdAt ?? '2026-01-01T00:00:00.000Z',
          ...(token.role === 'fineGrained'
            ? {
                fineGrained: {
                  canReadGatedRepos: token.canReadGatedRepos ?? true,
                  global: token.global ?? [],
                  scoped: token.scoped ?? [],
                },
              }
            : {}),
        },
      },
    });
  }

  private repoRoute(request: HubRequest, route: Exclude<HubRoute, { kind: 'whoami' | 'avatar' | 'unknown' }>): HubResponse {
    const { caller } = request;
    const lookup = this.state.lookup(route.repoId);
    if (lookup.kind === 'renamed') return renamedRedirect(request, route.idSpan, lookup.newId);
    const repo = lookup.kind === 'found' && this.state.canSee(lookup.repo, caller) ? lookup.repo : null;
    if (!repo) {
      return caller.kind === 'user'
        ? errorResponse(404, MESSAGES.repoNotFound, 'RepoNotFound')
        : errorResponse(401, MESSAGES.noCredentials, 'RepoNotFound');
    }
    if (repo.fixture.disabled) return errorResponse(403, MESSAGES.disabled);

    switch (route.kind) {
      case 'modelInfo':
        return this.modelInfo(request, repo, route.revision);
      case 'tree':
        return this.tree(request, repo, route.revision, route.path);
      case 'authCheck':
        return this.gateError(repo, caller) ?? jsonResponse(200, {});
      case 'file':
        return this.file(request, repo, route.revision, route.path, route.raw);
    }
  }

  private gateError(repo: LoadedRepo, caller: Caller): HubResponse | null {
    switch (this.state.gateRefusal(repo, caller)) {
      case 'anonymous':
        return errorResponse(401, MESSAGES.gatedAnonymous(repo.id), 'GatedRepo');
      case 'notAccepted':
        return errorResponse(403, MESSAGES.gatedNotAccepted(repo.id), 'GatedRepo');
      case 'tokenCannotReadGated':
        return errorResponse(403, MESSAGES.gatedTokenScope(repo.id), 'GatedRepo');
      case null:
        return null;
    }
  }

  private modelInfo(request: HubRequest, repo: LoadedRepo, revision: string | null): HubResponse {
    const sha = this.state.resolveRevision(repo, revision ?? 'main');
    if (!sha) return errorResponse(404, MESSAGES.invalidRevision(revision ?? 'main'), 'RevisionNotFound');
    const f = repo.fixture;
    const full: Record<string, unknown> = {
      _id: repo.objectId,
      id: repo.id,
      modelId: repo.id,
      author: repo.id.includes('/') ? repo.id.split('/')[0] : undefined,
      sha,
      lastModified: f.lastModified ?? '2026-01-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
      private: f.private ?? false,
      disabled: f.disabled ?? false,
      gated: f.gated ?? false,
      pipeline_tag: f.pipelineTag,
      library_name: f.libraryName,
      tags: f.tags ?? [],
      downloads: f.downloads ?? 0,
      likes: f.likes ?? 0,
      cardData: { ...(f.license ? { license: f.license } : {}), ...f.cardData },
      siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
      spaces: [],
      usedStorage: [...repo.files.values()].reduce((sum, file) => sum + file.content.length, 0),
    };
    // With `expand`, the hub answers only `_id`, `id` and the fields asked for.
    const expand = request.query.getAll('expand').flatMap((value) => value.split(','));
    if (expand.length === 0) return jsonResponse(200, full);
    const selected: Record<string, unknown> = { _id: full._id, id: full.id };
    for (const key of expand) if (key in full) selected[key] = full[key];
    return jsonResponse(200, selected);
  }

  private tree(request: HubRequest, repo: LoadedRepo, revision: string, path: string): HubResponse {
    const sha = this.state.resolveRevision(repo, revision);
    if (!sha) return errorResponse(404, MESSAGES.invalidRevision(revision), 'RevisionNotFound');
    if (!repo.directories.has(path)) {
      return errorResponse(404, `Entry not found: ${path} does not exist on "${revision}"`, 'EntryNotFound');
    }
    const recursive = ['true', '1'].includes(request.query.get('recursive') ?? '');
    const expand = ['true', '1'].includes(request.query.get('expand') ?? '');
    const entries = treeEntries(repo, path, recursive).map((entry) =>
      expand
        ? {
            ...entry,
            lastCommit: { id: sha, title: 'Upload model', date: repo.fixture.lastModified ?? '2026-01-01T00:00:00.000Z' },
            ...(entry.type === 'file' ? { securityFileStatus: { status: 'safe' } } : {}),
          }
        : entry,
    );

    const offset = decodeCursor(request.query.get('cursor'));
    const pageSize = this.options.treePageSize;
    const page = entries.slice(offset, offset + pageSize);
    const headers: Record<string, string> = {};
    if (offset + pageSize < entries.length) {
      const next = new URL(`${request.publicOrigin}/${request.rawSegments.join('/')}${request.search}`);
      next.searchParams.set('cursor', encodeCursor(offset + pageSize));
      headers.Link = `<${next.href}>; rel="next"`;
    }
    return jsonResponse(200, page, headers);
  }

  private file(request: HubRequest, repo: LoadedRepo, revision: string, path: string, raw: boolean): HubResponse {
    const gate = this.gateError(repo, request.caller);
    if (gate) return gate;
    const sha = this.state.resolveRevision(repo, revision);
    if (!sha) return errorResponse(404, MESSAGES.invalidRevision(revision), 'RevisionNotFound');
    const file = repo.files.get(path);
    if (!file) return errorResponse(404, MESSAGES.entryNotFound, 'EntryNotFound', { 'X-Repo-Commit': sha });

    if (file.lfs && !raw) {
      const location = this.options.cdnUrlFor(repo, file);
      return textResponse(302, `Found. Redirecting to ${location}`, {
        Location: location,
        'X-Linked-Etag': `"${file.sha256}"`,
        'X-Linked-Size': String(file.content.length),
        'X-Repo-Commit': sha,
        ETag: `"${file.gitOid}"`,
      });
    }
    const content = file.lfs ? Buffer.from(lfsPointer(file.sha256, file.content.length)) : file.content;
    return bytesResponse(content, request.range, {
      'Content-Type': contentTypeFor(path),
      'Content-Disposition': contentDisposition('inline', path),
      ETag: `"${file.gitOid}"`,
      'X-Repo-Commit': sha,
    });
  }
}

interface TreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

/** In `git ls-tree -r -t` order: names sorted, each directory followed by its contents. */
function treeEntries(repo: LoadedRepo, root: string, recursive: boolean): TreeEntry[] {
  const children = new Map<string, TreeEntry[]>();
  const add = (parent: string, entry: TreeEntry) => {
    const list = children.get(parent) ?? [];
    list.push(entry);
    children.set(parent, list);
  };
  const parentOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
  for (const [path, oid] of repo.directories) {
    if (path !== '') add(parentOf(path), { type: 'directory', oid, size: 0, path });
  }
  for (const file of repo.files.values()) {
    add(parentOf(file.path), {
      type: 'file',
      oid: file.gitOid,
      size: file.content.length,
      path: file.path,
      ...(file.lfs ? { lfs: { ...file.lfs } } : {}),
    });
  }
  const sortKey = (entry: TreeEntry) => (entry.type === 'directory' ? `${entry.path}/` : entry.path);
  const result: TreeEntry[] = [];
  const walk = (dir: string) => {
    const sorted = [...(children.get(dir) ?? [])].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
    for (const entry of sorted) {
      result.push(entry);
      if (recursive && entry.type === 'directory') walk(entry.path);
    }
  };
  walk(root);
  return result;
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeCursor(cursor: string | null): number {
  if (!cursor) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { offset: unknown };
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : 0;
  } catch {
    return 0;
  }
}

/** 307 with a relative Location: the same request with the repo's new id. */
function renamedRedirect(request: HubRequest, idSpan: [number, number], newId: string): HubResponse {
  const segments = [
    ...request.rawSegments.slice(0, idSpan[0]),
    ...newId.split('/').map(encodeURIComponent),
    ...request.rawSegments.slice(idSpan[1]),
  ];
  const location = `/${segments.join('/')}${request.search}`;
  return textResponse(307, `Temporary Redirect. Redirecting to ${location}`, { Location: location });
}

function avatar(name: string): HubResponse {
  const initial = (/^[a-z]/i.exec(name)?.[0] ?? '?').toUpperCase();
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">` +
    `<rect width="64" height="64" rx="32" fill="#6b7280"/>` +
    `<text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff" font-family="sans-serif">${initial}</text></svg>`;
  return { status: 200, headers: { 'Content-Type': 'image/svg+xml' }, body: Buffer.from(svg), fileOffset: 0 };
}

function objectIdOf(seed: string): string {
  return sha1Hex(seed).slice(0, 24);
}
