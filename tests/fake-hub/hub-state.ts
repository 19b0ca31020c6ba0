import type { FakeHubFixture, FakeTokenFixture, FakeUserFixture } from './fixtures.ts';
import type { LoadedRepo } from './repo-loader.ts';

/** Who is asking, from the Authorization header. */
export type Caller =
  | { kind: 'anonymous' }
  /** A header that is not `Bearer <known, unrevoked token>`. */
  | { kind: 'invalid' }
  | { kind: 'user'; user: FakeUserFixture; token: FakeTokenFixture };

export type RepoLookup =
  | { kind: 'found'; repo: LoadedRepo }
  | { kind: 'renamed'; newId: string }
  | { kind: 'missing' };

/** Why a caller may not read a gated repo's files, or null when it may. */
export type GateRefusal = 'anonymous' | 'notAccepted' | 'tokenCannotReadGated' | null;

/**
 * The hub's mutable state (revoked tokens, accepted terms) over the fixture, and the access rules.
 * `reset()` returns to the fixture's initial state.
 */
export class HubState {
  readonly repos: ReadonlyMap<string, LoadedRepo>;
  private readonly renames: ReadonlyMap<string, string>;
  private readonly tokens: ReadonlyMap<string, { user: FakeUserFixture; token: FakeTokenFixture }>;
  private revoked = new Set<string>();
  /** repo id → names of users who accepted its terms. */
  private accepted = new Map<string, Set<string>>();

  constructor(
    readonly fixture: FakeHubFixture,
    repos: LoadedRepo[],
  ) {
    this.repos = new Map(repos.map((repo) => [repo.id, repo]));
    this.renames = new Map(repos.flatMap((repo) => (repo.fixture.renamedFrom ?? []).map((old) => [old, repo.id])));
    this.tokens = new Map(
      fixture.users.flatMap((user) => user.tokens.map((token) => [token.value, { user, token }] as const)),
    );
    this.reset();
  }

  reset(): void {
    this.revoked = new Set();
    this.accepted = new Map(
      [...this.repos.values()].map((repo) => [repo.id, new Set(repo.fixture.acceptedUsers ?? [])]),
    );
  }

  revokeToken(token: string): void {
    this.revoked.add(token);
  }

  acceptTerms(userName: string, repoId: string): void {
    const accepted = this.accepted.get(repoId);
    if (!accepted) throw new Error(`no repo ${repoId}`);
    if (!this.fixture.users.some((user) => user.name === userName)) throw new Error(`no user ${userName}`);
    accepted.add(userName);
  }

  identify(authorization: string | undefined): Caller {
    if (authorization === undefined || authorization.trim() === '') return { kind: 'anonymous' };
    const token = bearerToken(authorization);
    const known = token === null ? undefined : this.tokens.get(token);
    if (!known || this.revoked.has(known.token.value)) return { kind: 'invalid' };
    return { kind: 'user', ...known };
  }

  lookup(repoId: string): RepoLookup {
    const repo = this.repos.get(repoId);
    if (repo) return { kind: 'found', repo };
    const newId = this.renames.get(repoId);
    return newId ? { kind: 'renamed', newId } : { kind: 'missing' };
  }

  /** Whether the repo's existence (metadata, listing) is visible to the caller. */
  canSee(repo: LoadedRepo, caller: Caller): boolean {
    if (!repo.fixture.private) return true;
    if (caller.kind !== 'user') return false;
    const namespace = repo.id.includes('/') ? repo.id.split('/')[0] : null;
    const { user, token } = caller;
    const isMember =
      namespace === user.name ||
      (namespace !== null && (user.orgs ?? []).includes(namespace)) ||
      (repo.fixture.members ?? []).includes(user.name);
    if (!isMember) return false;
    if (token.role !== 'fineGrained') return true;
    return (token.scoped ?? []).some(
      (scope) =>
        (scope.entity.name === namespace || scope.entity.name === repo.id) &&
        scope.permissions.includes('repo.content.read'),
    );
  }

  /** Gating applies to file contents only; metadata and listings of gated repos are public. */
  gateRefusal(repo: LoadedRepo, caller: Caller): GateRefusal {
    if (!repo.fixture.gated) return null;
    if (caller.kind !== 'user') return 'anonymous';
    const namespace = repo.id.split('/')[0];
    if (caller.user.name === namespace) return null;
    if (!this.accepted.get(repo.id)?.has(caller.user.name)) return 'notAccepted';
    if (caller.token.role === 'fineGrained' && caller.token.canReadGatedRepos === false) return 'tokenCannotReadGated';
    return null;
  }

  /** `main`, `HEAD`, a branch or tag name, or a full commit sha → commit sha. */
  resolveRevision(repo: LoadedRepo, revision: string): string | null {
    const name = revision === 'HEAD' ? 'main' : revision;
    const byName = repo.revisions.get(name);
    if (byName) return byName;
    return [...repo.revisions.values()].includes(revision) ? revision : null;
  }
}

function bearerToken(authorization: string): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
  return match ? match[1] : null;
}
