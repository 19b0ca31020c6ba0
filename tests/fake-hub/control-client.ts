import type { FaultRule, FaultRuleInput, ServedOrigin } from './faults.ts';
import type { FakeHubInfo, LoggedRequest } from './server.ts';

export class FakeHubControlError extends Error {
  readonly code = 'FAKE_HUB_CONTROL_FAILED';
  override name = 'FakeHubControlError';
}

/**
 * Drives a fake hub running in another process (e.g. `npm run hub` under Playwright) through its
 * `/__control/` endpoints; mirrors the programmatic API of `FakeHub`, asynchronously.
 */
export class FakeHubControl {
  constructor(readonly hubUrl: string) {}

  info(options: { signal?: AbortSignal } = {}): Promise<FakeHubInfo> {
    return this.call('GET', 'info', undefined, options.signal);
  }

  requests(options: { signal?: AbortSignal } = {}): Promise<LoggedRequest[]> {
    return this.call('GET', 'requests', undefined, options.signal);
  }

  async clearRequests(): Promise<void> {
    await this.call('DELETE', 'requests');
  }

  async addFault(rule: FaultRuleInput): Promise<FaultRule> {
    const [added] = await this.call<FaultRule[]>('POST', 'faults', rule);
    return added;
  }

  addFaults(rules: FaultRuleInput[]): Promise<FaultRule[]> {
    return this.call('POST', 'faults', rules);
  }

  listFaults(): Promise<FaultRule[]> {
    return this.call('GET', 'faults');
  }

  async removeFault(id: string): Promise<boolean> {
    const { removed } = await this.call<{ removed: boolean }>('DELETE', `faults/${encodeURIComponent(id)}`);
    return removed;
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', 'faults');
  }

  setRateLimited(pathPrefix: string, count = 1, origin?: ServedOrigin): Promise<FaultRule> {
    return this.call('POST', 'rate-limit', { pathPrefix, count, origin });
  }

  async revokeToken(token: string): Promise<void> {
    await this.call('POST', 'revoke', { token });
  }

  async acceptTerms(user: string, repo: string): Promise<void> {
    await this.call('POST', 'accept', { user, repo });
  }

  async reset(): Promise<void> {
    await this.call('POST', 'reset');
  }

  private async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await fetch(`${this.hubUrl}/__control/${path}`, {
      method,
      signal,
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const payload = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new FakeHubControlError(`${method} /__control/${path}: ${payload.error ?? response.status}`);
    return payload;
  }
}
