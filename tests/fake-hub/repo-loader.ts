import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { matchesGlob } from './glob.ts';
import type { FakeRepoFixture, RepoFileSource } from './fixtures.ts';

/** A repo file with the hashes the hub reports for it. */
export interface RepoFile {
  path: string;
  content: Buffer;
  /** Git object id: of the blob itself, or of the LFS pointer blob for an LFS file. */
  gitOid: string;
  sha256: string;
  lfs: { oid: string; size: number; pointerSize: number } | null;
}

export interface LoadedRepo {
  fixture: FakeRepoFixture;
  id: string;
  /** By path, sorted. */
  files: Map<string, RepoFile>;
  /** Directory path (without trailing slash, "" for the root) → git tree id. */
  directories: Map<string, string>;
  /** Branch or tag name → commit sha; always has `main`. */
  revisions: Map<string, string>;
  /** 24-hex id, like the hub's `_id`. */
  objectId: string;
}

export function sha1Hex(data: string | Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Git's blob id: sha1 of `blob <size>\0` followed by the content. */
export function gitBlobOid(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

export async function loadRepo(fixture: FakeRepoFixture, lfsThresholdBytes: number): Promise<LoadedRepo> {
  const contents = new Map<string, { content: Buffer; forceLfs: boolean }>();
  if (fixture.dir) {
    for (const path of await listFilesUnder(fixture.dir)) {
      const repoPath = relative(fixture.dir, path).split(sep).join('/');
      contents.set(repoPath, { content: await readFile(path), forceLfs: false });
    }
  }
  for (const [path, source] of Object.entries(fixture.files ?? {})) {
    contents.set(normaliseRepoPath(path), toContent(source));
  }

  const files = new Map<string, RepoFile>();
  for (const path of [...contents.keys()].sort()) {
    const { content, forceLfs } = contents.get(path)!;
    const isLfs =
      forceLfs || content.length > lfsThresholdBytes || (fixture.lfsPaths ?? []).some((glob) => matchesGlob(glob, path));
    files.set(path, describeFile(path, content, isLfs));
  }

  const directories = gitTreeIds(files);
  const revisions = new Map(Object.entries(fixture.revisions ?? {}));
  if (!revisions.has('main')) {
    revisions.set('main', sha1Hex(`commit ${fixture.id}\0${directories.get('')}`));
  }
  for (const [name, commit] of revisions) {
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`${fixture.id}: revision ${name} must be a 40-hex sha`);
  }
  return { fixture, id: fixture.id, files, directories, revisions, objectId: sha1Hex(fixture.id).slice(0, 24) };
}

function describeFile(path: string, content: Buffer, isLfs: boolean): RepoFile {
  const sha256 = sha256Hex(content);
  if (!isLfs) return { path, content, gitOid: gitBlobOid(content), sha256, lfs: null };
  const pointer = Buffer.from(lfsPointer(sha256, content.length));
  return {
    path,
    content,
    gitOid: gitBlobOid(pointer),
    sha256,
    lfs: { oid: sha256, size: content.length, pointerSize: pointer.length },
  };
}

function toContent(source: RepoFileSource): { content: Buffer; forceLfs: boolean } {
  if (typeof source === 'string' || source instanceof Uint8Array) return { content: Buffer.from(source), forceLfs: false };
  return { content: Buffer.from(source.content), forceLfs: source.lfs === true };
}

function normaliseRepoPath(path: string): string {
  const normalised = path.replace(/^\/+/, '');
  if (!normalised || normalised.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`invalid repo file path: ${path}`);
  }
  return normalised;
}

async function listFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listFilesUnder(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** Real git tree ids for every directory, so directory entries carry believable oids. */
function gitTreeIds(files: Map<string, RepoFile>): Map<string, string> {
  const children = new Map<string, Map<string, { mode: string; oid: string | null }>>();
  const childrenOf = (dir: string) => {
    let entries = children.get(dir);
    if (!entries) children.set(dir, (entries = new Map()));
    return entries;
  };
  childrenOf('');
  for (const file of files.values()) {
    const parts = file.path.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const isLast = depth === parts.length - 1;
      childrenOf(dir).set(parts[depth], isLast ? { mode: '100644', oid: file.gitOid } : { mode: '40000', oid: null });
      if (!isLast) childrenOf(parts.slice(0, depth + 1).join('/'));
    }
  }

  const treeIds = new Map<string, string>();
  const treeId = (dir: string): string => {
    const known = treeIds.get(dir);
    if (known) return known;
    // Git sorts tree entries by name, comparing a directory as if its name ended with "/".
    const entries = [...childrenOf(dir)].map(([name, entry]) => ({
      name,
      mode: entry.mode,
      oid: entry.oid ?? treeId(dir ? `${dir}/${name}` : name),
      sortKey: entry.mode === '40000' ? `${name}/` : name,
    }));
    entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    const body = Buffer.concat(
      entries.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex')])),
    );
    const id = createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
    treeIds.set(dir, id);
    return id;
  };
  for (const dir of children.keys()) treeId(dir);
  return treeIds;
}
