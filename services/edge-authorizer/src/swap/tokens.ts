import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import { sendJson, type JsonAnswer } from '../fetch-json.js';
import type { SwapConfig } from './config.js';

/**
 * Why the swap could not get the endpoint's credential, and what the caller is told. Never 401:
 * the caller's token was fine (the edge checked it); the fault is ours or Azure's.
 * - 503: Entra or ARM unreachable, timing out, throttling or failing (try again later);
 * - 502: they answered but refused the swap's own identity, or answered nonsense (a platform
 *   misconfiguration: missing role assignment, federation, wrong workspace);
 * - 404: ARM has no such endpoint in the workspace.
 */
export class SwapError extends Error {
  constructor(
    readonly status: 404 | 502 | 503,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'SwapError';
  }
}

/** The ARM audience the token is requested for. */
export const ARM_SCOPE = 'https://management.azure.com/.default';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface Timed {
  readonly token: string;
  /** Epoch ms after which a new token is fetched. */
  readonly refreshAt: number;
  /** Epoch ms after which the token must not be used. */
  readonly expiresAt: number;
}

/** Runs `fetchOne` at most once at a time per key; later callers share the first call's promise. */
class SingleFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();
  run(key: string, fetchOne: () => Promise<T>): Promise<T> {
    const running = this.pending.get(key);
    if (running !== undefined) return running;
    const started = fetchOne().finally(() => this.pending.delete(key));
    this.pending.set(key, started);
    return started;
  }
}

async function call(what: string, url: string, init: Parameters<typeof sendJson>[1]): Promise<JsonAnswer> {
  try {
    return await sendJson(url, init);
  } catch (error) {
    throw new SwapError(503, `${what}_unreachable`, `${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const unavailable = (status: number): boolean => status === 429 || status >= 500;

/**
 * An ARM access token for the swap's own workload identity: Entra client credentials with the
 * projected ServiceAccount token as client_assertion (AKS workload identity). Cached until five
 * minutes before it expires.
 */
export class WorkloadIdentityCredential {
  private cached: Timed | undefined;
  private readonly flight = new SingleFlight<Timed>();

  constructor(
    private readonly config: Pick<SwapConfig, 'identity' | 'timeoutMs'>,
    private readonly now: () => number = Date.now,
  ) {}

  async armToken(): Promise<string> {
    const cached = this.cached;
    if (cached !== undefined && this.now() < cached.refreshAt) return cached.token;
    const fresh = await this.flight.run('arm', () => this.fetchToken());
    this.cached = fresh;
    return fresh.token;
  }

  private async fetchToken(): Promise<Timed> {
    const { identity } = this.config;
    let assertion: string;
    try {
      assertion = (await readFile(identity.federatedTokenFile, 'utf8')).trim();
    } catch (error) {
      throw new SwapError(502, 'federated_token_unreadable', `cannot read AZURE_FEDERATED_TOKEN_FILE: ${error instanceof Error ? error.message : String(error)}`);
    }
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: identity.clientId,
      scope: ARM_SCOPE,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
    }).toString();
    const url = `${identity.authorityHost}${identity.tenantId}/oauth2/v2.0/token`;
    const answer = await call('entra', url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      timeoutMs: this.config.timeoutMs,
    });
    if (unavailable(answer.status)) throw new SwapError(503, 'entra_unavailable', `Entra token endpoint answered ${answer.status}`);
    const json = answer.json as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_codes?: unknown } | undefined;
    if (answer.status !== 200) {
      // The error code (AADSTS...) says what is misconfigured; it carries no secret.
      throw new SwapError(502, 'entra_refused', `Entra refused the workload identity (${answer.status} ${String(json?.error)} ${JSON.stringify(json?.error_codes ?? [])})`);
    }
    const expiresIn = Number(json?.expires_in);
    if (typeof json?.access_token !== 'string' || json.access_token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new SwapError(502, 'entra_bad_answer', 'Entra answered 200 without access_token and expires_in');
    }
    const now = this.now();
    const expiresAt = now + expiresIn * 1000;
    return { token: json.access_token, expiresAt, refreshAt: Math.max(now, expiresAt - 5 * 60_000) };
  }
}

/** Azure ML online endpoint names: a letter, then letters, digits and '-', 3 to 32 characters, not ending in '-'. */
export const ENDPOINT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;

export type TokenSource = 'cache' | 'fresh' | 'stale';

/**
 * The `aml_token` of each online endpoint, from `POST <workspace>/onlineEndpoints/<name>/token`,
 * cached until its refreshAfterTimeUtc. Past that time a failed refresh falls back to the cached
 * token while it has not expired. At most `maxEndpoints` are kept.
 */
export class EndpointTokens {
  private readonly cache: LRUCache<string, Timed>;
  private readonly flight = new SingleFlight<Timed>();

  constructor(
    private readonly config: Pick<SwapConfig, 'armEndpoint' | 'workspaceId' | 'apiVersion' | 'timeoutMs'>,
    private readonly credential: Pick<WorkloadIdentityCredential, 'armToken'>,
    private readonly now: () => number = Date.now,
    maxEndpoints = 256,
  ) {
    this.cache = new LRUCache({ max: maxEndpoints });
  }

  async get(endpoint: string): Promise<{ token: string; source: TokenSource }> {
    if (!ENDPOINT_NAME.test(endpoint)) throw new Error(`not an endpoint name: ${endpoint}`);
    const cached = this.cache.get(endpoint);
    const now = this.now();
    if (cached !== undefined && now < cached.refreshAt) return { token: cached.token, source: 'cache' };
    try {
      const fresh = await this.flight.run(endpoint, () => this.fetchToken(endpoint));
      this.cache.set(endpoint, fresh);
      return { token: fresh.token, source: 'fresh' };
    } catch (error) {
      if (cached !== undefined && this.now() < cached.expiresAt && error instanceof SwapError && error.status !== 404) return { token: cached.token, source: 'stale' };
      throw error;
    }
  }

  /** The router refused a token it was given: never use it again. */
  forget(endpoint: string, token: string): void {
    if (this.cache.get(endpoint)?.token === token) this.cache.delete(endpoint);
  }

  private async fetchToken(endpoint: string): Promise<Timed> {
    const armToken = await this.credential.armToken();
    const url = `${this.config.armEndpoint}${this.config.workspaceId}/onlineEndpoints/${endpoint}/token?api-version=${this.config.apiVersion}`;
    const answer = await call('arm', url, { method: 'POST', headers: { authorization: `Bearer ${armToken}`, 'content-length': '0' }, timeoutMs: this.config.timeoutMs });
    if (answer.status === 404) throw new SwapError(404, 'endpoint_not_found', `no online endpoint ${endpoint} in the workspace`);
    if (unavailable(answer.status)) throw new SwapError(503, 'arm_unavailable', `ARM answered ${answer.status}`);
    const json = answer.json as { accessToken?: unknown; expiryTimeUtc?: unknown; refreshAfterTimeUtc?: unknown; tokenType?: unknown; error?: { code?: unknown } } | undefined;
    if (answer.status !== 200) {
      throw new SwapError(502, 'arm_refused', `ARM refused the token request (${answer.status} ${String(json?.error?.code)}); does the identity hold onlineEndpoints/token/action on the workspace?`);
    }
    // int64 seconds since the epoch (EndpointAuthToken in the REST spec; the SDK's number type).
    const { accessToken, expiryTimeUtc, refreshAfterTimeUtc, tokenType } = json ?? {};
    if (typeof accessToken !== 'string' || accessToken === '' || typeof expiryTimeUtc !== 'number' || typeof refreshAfterTimeUtc !== 'number') {
      throw new SwapError(502, 'arm_bad_answer', 'ARM answered 200 without accessToken, expiryTimeUtc and refreshAfterTimeUtc');
    }
    if (tokenType !== undefined && typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
      throw new SwapError(502, 'arm_bad_answer', `ARM answered a ${tokenType} token; only Bearer is supported`);
    }
    const expiresAt = expiryTimeUtc * 1000;
    const refreshAt = Math.min(refreshAfterTimeUtc * 1000, expiresAt);
    if (expiresAt <= this.now()) throw new SwapError(502, 'arm_bad_answer', 'ARM answered a token that has already expired');
    return { token: accessToken, refreshAt, expiresAt };
  }
}
