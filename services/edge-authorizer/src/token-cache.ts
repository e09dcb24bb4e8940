import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerifiedIdentity } from './verify.js';

export interface TokenCacheOptions {
  readonly maxEntries: number;
  readonly maxTtlMs: number;
  readonly now?: () => number;
}

interface Entry {
  readonly identity: VerifiedIdentity;
  readonly validUntilMs: number;
}

/**
 * Verified tokens, so a hot client does not pay an RSA check per request. Keyed by SHA-256 of the
 * token: the cache never holds a usable credential, and every key has the same small size. An entry
 * lives until min(exp, verification time + maxTtl); the max TTL bounds how long a token signed by a
 * key that has since been withdrawn keeps working. Role checks are not cached: they run per request.
 */
export class TokenCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly now: () => number;

  constructor(private readonly options: TokenCacheOptions) {
    this.entries = new LRUCache<string, Entry>({ max: options.maxEntries });
    this.now = options.now ?? Date.now;
  }

  static keyOf(token: string): string {
    return hash('sha256', token, 'base64');
  }

  get(key: string): VerifiedIdentity | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.validUntilMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.identity;
  }

  set(key: string, identity: VerifiedIdentity): void {
    const validUntilMs = Math.min(identity.expiresAtMs, this.now() + this.options.maxTtlMs);
    if (validUntilMs > this.now()) this.entries.set(key, { identity, validUntilMs });
  }
}
