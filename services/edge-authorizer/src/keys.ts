import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type LocalJWKSet,
} from 'jose';
import { fetchableUrlProblem } from './config.js';
import { fetchJson } from './fetch-json.js';

export type RefreshTrigger = 'startup' | 'interval' | 'unknown_kid';

export interface KeyStoreOptions {
  readonly issuer: string;
  /** Skips discovery when set. */
  readonly jwksUri: string | undefined;
  readonly cooldownMs: number;
  readonly refreshIntervalMs: number;
  /** Keys older than this (no successful refresh since) are dropped: fail closed. */
  readonly maxStaleMs: number;
  readonly timeoutMs: number;
  readonly now?: () => number;
  readonly onRefresh?: (event: RefreshEvent) => void;
}

export type RefreshEvent =
  | { readonly result: 'success'; readonly trigger: RefreshTrigger; readonly keyCount: number; readonly jwksUri: string }
  | { readonly result: 'failure'; readonly trigger: RefreshTrigger; readonly error: string };

/** No usable key set (never loaded, or too stale to trust). Maps to 503: fail closed. */
export class KeysUnavailableError extends Error {
  constructor() {
    super('no signing keys are loaded');
    this.name = 'KeysUnavailableError';
  }
}

/** The token names no key. Entra always sets `kid`; without one jose would have to try every key. */
export class MissingKeyIdError extends Error {
  constructor() {
    super('token header has no usable "kid"');
    this.name = 'MissingKeyIdError';
  }
}

/**
 * The issuer's signing keys. jose's createLocalJWKSet does all key selection and import (kty, alg,
 * use, key_ops, RSA size); this class only decides when to fetch. It differs from createRemoteJWKSet
 * on purpose: a failed refresh keeps the last good keys (the issuer going away must not take the edge
 * down), refreshes run on a background interval (only a token with an unknown kid waits for one
 * refetch), and the cooldown counts from the last attempt, so a dead issuer is not hammered by tokens
 * with random kids.
 */
export class KeyStore {
  private keys: LocalJWKSet | undefined;
  private keyCount = 0;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private resolvedJwksUri: string | undefined;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: KeyStoreOptions) {
    this.now = options.now ?? Date.now;
    this.resolvedJwksUri = options.jwksUri;
  }

  /** Fetches keys until the first success (with backoff), then keeps them fresh on an interval. */
  start(): void {
    const retry = (attempt: number): void => {
      if (this.stopped) return;
      void this.refresh('startup').then(() => {
        if (this.stopped) return;
        if (this.keys === undefined) {
          this.schedule(Math.min(30_000, 500 * 2 ** attempt), () => retry(attempt + 1));
        } else {
          this.schedule(this.options.refreshIntervalMs, () => this.tick());
        }
      });
    };
    retry(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** Ready means a decision can be made: keys are loaded and not older than the staleness limit. */
  get ready(): boolean {
    return this.current() !== undefined;
  }

  get count(): number {
    return this.ready ? this.keyCount : 0;
  }

  /** jose `getKey` callback for jwtVerify. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    const { kid } = header;
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) throw new MissingKeyIdError();
    const keys = this.current();
    if (keys === undefined) throw new KeysUnavailableError();
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || this.coolingDown()) throw error;
    }
    // An unknown kid may be a freshly rotated key: refetch once per cooldown, then try again.
    await this.refresh('unknown_kid');
    const refreshed = this.current();
    if (refreshed === undefined) throw new KeysUnavailableError();
    return refreshed(header, token);
  };

  /** One fetch at a time; concurrent callers share it. Never rejects. */
  refresh(trigger: RefreshTrigger): Promise<void> {
    this.inFlight ??= this.fetchKeys(trigger).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private tick(): void {
    void this.refresh('interval').then(() => {
      if (!this.stopped) this.schedule(this.options.refreshIntervalMs, () => this.tick());
    });
  }

  private schedule(delayMs: number, run: () => void): void {
    this.timer = setTimeout(run, delayMs);
    this.timer.unref();
  }

  private current(): LocalJWKSet | undefined {
    if (this.keys === undefined) return undefined;
    return this.now() - this.loadedAt <= this.options.maxStaleMs ? this.keys : undefined;
  }

  private coolingDown(): boolean {
    return this.now() - this.lastAttemptAt < this.options.cooldownMs;
  }

  private async fetchKeys(trigger: RefreshTrigger): Promise<void> {
    this.lastAttemptAt = this.now();
    try {
      const jwksUri = this.resolvedJwksUri ?? (await this.discover());
      const document = await fetchJson(jwksUri, this.options.timeoutMs);
      const keyCount = countKeys(document);
      // createLocalJWKSet validates the set's shape; individual keys are checked when selected.
      const keys = createLocalJWKSet(document as JSONWebKeySet);
      this.keys = keys;
      this.keyCount = keyCount;
      this.loadedAt = this.now();
      this.options.onRefresh?.({ result: 'success', trigger, keyCount, jwksUri });
    } catch (error) {
      // The previous keys stay in place; current() drops them once they are too old.
      this.options.onRefresh?.({ result: 'failure', trigger, error: describe(error) });
    }
  }

  /** OIDC Discovery 1.0 §4: the document's issuer must be exactly the configured one. */
  private async discover(): Promise<string> {
    const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const document = await fetchJson(url, this.options.timeoutMs);
    if (typeof document !== 'object' || document === null) throw new Error(`${url} is not a JSON object`);
    const { issuer, jwks_uri: jwksUri } = document as Record<string, unknown>;
    if (issuer !== this.options.issuer) {
      throw new Error(`${url} names issuer ${JSON.stringify(issuer)}, expected ${JSON.stringify(this.options.issuer)}`);
    }
    if (typeof jwksUri !== 'string') throw new Error(`${url} has no jwks_uri`);
    const problem = fetchableUrlProblem(jwksUri);
    if (problem !== undefined) throw new Error(`jwks_uri from ${url}: ${problem}`);
    this.resolvedJwksUri = jwksUri;
    return jwksUri;
  }
}

/** An empty set would lock everyone out; treat it as a failed refresh and keep the previous keys. */
function countKeys(document: unknown): number {
  const keys = typeof document === 'object' && document !== null ? (document as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) throw new Error('JWKS has no "keys" array');
  if (keys.length === 0) throw new Error('JWKS is empty');
  return keys.length;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
