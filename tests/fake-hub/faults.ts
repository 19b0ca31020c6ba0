import { matchesGlob } from './glob.ts';

/** Which of the fake's two origins served a request. */
export type ServedOrigin = 'hub' | 'cdn';

/** What goes wrong. Offsets are in file coordinates, so they hold for range requests too. */
export type Fault =
  /** Send the headers and the first `afterBytes` bytes of the body, then destroy the socket. */
  | { kind: 'drop'; afterBytes: number }
  /** Answer this status (500, 503, 429…) with a JSON error instead of the real answer. */
  | { kind: 'status'; status: number; message?: string }
  /** Flip every bit of the byte at this offset of the file (or of the body for non-file answers). */
  | { kind: 'corrupt'; offset: number }
  /** Wait before sending the headers. */
  | { kind: 'delay'; ms: number }
  /** Answer 200 with an HTML page (a captive portal, a proxy's error page) instead of the real answer. */
  | { kind: 'html' }
  /** Declare `extraBytes` more in Content-Length than the body has, send the body, close the connection. */
  | { kind: 'wrongLength'; extraBytes?: number }
  /** Send the body at this rate, for testing progress and cancellation. */
  | { kind: 'throttle'; bytesPerSecond: number };

export type FaultKind = Fault['kind'];

export interface FaultRuleInput {
  fault: Fault;
  /** Default: both origins. */
  origin?: ServedOrigin;
  /** Default: any method but OPTIONS, so a fault meant for a download does not break its preflight. */
  method?: string;
  /** Glob (or exact string) matched against the decoded URL path, e.g. `/api/whoami-v2`. */
  path?: string;
  pathPrefix?: string;
  /** Glob matched against the repo id of a resolve or CDN request. */
  repo?: string;
  /** Glob matched against the file path inside the repo, e.g. `unet/*.onnx` or `**\/model.onnx`. */
  file?: string;
  /** How many requests it applies to; default 1. */
  count?: number | 'always';
}

export interface FaultRule extends Required<Pick<FaultRuleInput, 'fault'>>, Omit<FaultRuleInput, 'fault' | 'count'> {
  id: string;
  remaining: number | 'always';
  /** How many requests it has been applied to. */
  applied: number;
}

/** What a rule is matched against. A CDN blob may back several repo files, hence a list. */
export interface RequestTarget {
  origin: ServedOrigin;
  method: string;
  pathname: string;
  repoFiles: { repoId: string; path?: string }[];
}

/** The body about to be sent, to decide whether a body fault would change anything. */
export interface OutgoingBody {
  length: number;
  /** Offset in the file of the body's first byte (the range start), 0 for non-file bodies. */
  fileOffset: number;
}

export class FaultRuleError extends Error {
  readonly code = 'FAULT_RULE_INVALID';
  override name = 'FaultRuleError';
}

const BEFORE_RESPONSE_KINDS: ReadonlySet<FaultKind> = new Set(['delay', 'status', 'html']);

export interface FaultsBeforeResponse {
  delayMs: number;
  /** A status or html fault replacing the real answer. */
  replacement: Extract<Fault, { kind: 'status' | 'html' }> | null;
  applied: Fault[];
}

/**
 * The fault rules of one fake hub. A body fault is only consumed by a response it can affect (a drop
 * after 100 bytes is not used up by the one-byte `Range: bytes=0-0` probe that precedes a download).
 */
export class FaultBook {
  private rules: FaultRule[] = [];
  private nextId = 1;

  add(input: FaultRuleInput): FaultRule {
    validateFault(input.fault);
    const count = input.count ?? 1;
    if (count !== 'always' && !(Number.isInteger(count) && count > 0)) {
      throw new FaultRuleError(`count must be a positive integer or "always", got ${String(count)}`);
    }
    if (input.origin !== undefined && input.origin !== 'hub' && input.origin !== 'cdn') {
      throw new FaultRuleError(`origin must be "hub" or "cdn", got ${String(input.origin)}`);
    }
    const { count: _count, ...rest } = input;
    const rule: FaultRule = { ...rest, id: `fault-${this.nextId++}`, remaining: count, applied: 0 };
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  takeBeforeResponse(target: RequestTarget): FaultsBeforeResponse {
    const result: FaultsBeforeResponse = { delayMs: 0, replacement: null, applied: [] };
    for (const rule of this.matching(target, (fault) => BEFORE_RESPONSE_KINDS.has(fault.kind))) {
      const { fault } = rule;
      if (fault.kind === 'delay') result.delayMs += fault.ms;
      else if (fault.kind === 'status' || fault.kind === 'html') {
        if (result.replacement) continue;
        result.replacement = fault;
      }
      this.consume(rule);
      result.applied.push(fault);
    }
    return result;
  }

  /** At most one fault of each body kind, first rule first. */
  takeBodyFaults(target: RequestTarget, body: OutgoingBody): Fault[] {
    const taken = new Map<FaultKind, Fault>();
    for (const rule of this.matching(target, (fault) => !BEFORE_RESPONSE_KINDS.has(fault.kind))) {
      if (taken.has(rule.fault.kind) || !affectsBody(rule.fault, body)) continue;
      this.consume(rule);
      taken.set(rule.fault.kind, rule.fault);
    }
    return [...taken.values()];
  }

  private matching(target: RequestTarget, kindFilter: (fault: Fault) => boolean): FaultRule[] {
    return this.rules.filter((rule) => kindFilter(rule.fault) && ruleMatches(rule, target));
  }

  private consume(rule: FaultRule): void {
    rule.applied++;
    if (rule.remaining === 'always') return;
    rule.remaining--;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
  }
}

function ruleMatches(rule: FaultRule, target: RequestTarget): boolean {
  if (rule.origin && rule.origin !== target.origin) return false;
  const method = target.method.toUpperCase();
  if (rule.method ? rule.method.toUpperCase() !== method : method === 'OPTIONS') return false;
  if (rule.path !== undefined && !matchesGlob(rule.path, target.pathname)) return false;
  if (rule.pathPrefix !== undefined && !target.pathname.startsWith(rule.pathPrefix)) return false;
  if (rule.repo !== undefined || rule.file !== undefined) {
    return target.repoFiles.some(
      ({ repoId, path }) =>
        (rule.repo === undefined || matchesGlob(rule.repo, repoId)) &&
        (rule.file === undefined || (path !== undefined && matchesGlob(rule.file, path))),
    );
  }
  return true;
}

function affectsBody(fault: Fault, body: OutgoingBody): boolean {
  switch (fault.kind) {
    case 'drop':
      return body.length > fault.afterBytes;
    case 'corrupt':
      return fault.offset >= body.fileOffset && fault.offset < body.fileOffset + body.length;
    case 'wrongLength':
    case 'throttle':
      return body.length > 0;
    default:
      return false;
  }
}

function validateFault(fault: Fault | undefined): void {
  const nonNegativeInteger = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;
  const fail = (why: string): never => {
    throw new FaultRuleError(`invalid fault ${JSON.stringify(fault)}: ${why}`);
  };
  if (!fault || typeof fault !== 'object') return fail('missing');
  switch (fault.kind) {
    case 'drop':
      if (!nonNegativeInteger(fault.afterBytes)) fail('afterBytes must be an integer ≥ 0');
      return;
    case 'status':
      if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) fail('status must be 400–599');
      return;
    case 'corrupt':
      if (!nonNegativeInteger(fault.offset)) fail('offset must be an integer ≥ 0');
      return;
    case 'delay':
      if (!nonNegativeInteger(fault.ms)) fail('ms must be an integer ≥ 0');
      return;
    case 'html':
      return;
    case 'wrongLength':
      if (fault.extraBytes !== undefined && !(nonNegativeInteger(fault.extraBytes) && fault.extraBytes > 0)) {
        fail('extraBytes must be an integer > 0');
      }
      return;
    case 'throttle':
      if (!(typeof fault.bytesPerSecond === 'number' && fault.bytesPerSecond > 0)) fail('bytesPerSecond must be > 0');
      return;
    default:
      fail('unknown kind');
  }
}
