import { bearerToken, carriesQueryToken, looksLikeCompactJws, type CredentialProblem } from './credentials.js';
import { KeysUnavailableError } from './keys.js';
import { requirementFrom, satisfies, type Requirement } from './requirements.js';
import { TokenCache } from './token-cache.js';
import { TokenRejectedError, type TokenRejection, type TokenVerifier, type VerifiedIdentity } from './verify.js';

/** The parts of an auth subrequest a decision depends on. */
export interface AuthorizationRequest {
  /** Every Authorization header value as received (from `req.rawHeaders`: duplicates included). */
  readonly authorization: readonly string[] | undefined;
  /**
   * Query string of the auth URI itself, without the "?": the route's requirements, fixed in its
   * externalAuth policy. The controller sends nothing about the client's original request (no
   * X-Original-URI), and a client could send any such header itself, so none is read.
   */
  readonly query: string;
}

export type Reason =
  | 'allowed'
  | 'missing_role'
  | CredentialProblem
  | TokenRejection
  | 'keys_unavailable'
  | 'no_requirement'
  | 'bad_requirement';

export type Outcome = 'allow' | 'deny' | 'error';
export type CacheUse = 'hit' | 'miss' | 'off' | 'none';

export interface Decision {
  /** 204: allow; 401/403: deny (NGINX passes these on); 500/503: NGINX turns any other status into 500 — still closed. */
  readonly status: 204 | 401 | 403 | 500 | 503;
  readonly outcome: Outcome;
  readonly reason: Reason;
  /** WWW-Authenticate value for 401/403. */
  readonly challenge: string | undefined;
  readonly identity: VerifiedIdentity | undefined;
  readonly requirement: Requirement | undefined;
  readonly cache: CacheUse;
}

export interface AuthorizerOptions {
  readonly verifier: TokenVerifier;
  /** Undefined disables the cache (benchmarks, debugging). */
  readonly cache: TokenCache | undefined;
  /**
   * Whether usable signing keys are loaded. A cache hit is honoured only while they are: once the
   * keys are dropped as stale, cached tokens fail closed like every other one.
   */
  readonly keysReady: () => boolean;
  readonly maxTokenBytes: number;
}

/**
 * The decision in one place, independent of HTTP: the server, the tests and the benchmark all call
 * decide(). Order matters: a token in a query string first (refused before anything reads it), then
 * the route's configuration (not the caller's fault), then how the credential was presented, then
 * the token itself, then the route's roles.
 */
export class Authorizer {
  constructor(private readonly options: AuthorizerOptions) {}

  /** Synchronous when the answer needs no signature check (cache hits, refusals); a Promise otherwise. */
  decide(request: AuthorizationRequest): Decision | Promise<Decision> {
    // First, so a token in a query string is never parsed or kept (not even as a memo key).
    if (carriesQueryToken(request.query)) {
      return refuse(401, 'deny', 'token_in_query', invalidRequest, undefined);
    }
    const required = requirementFrom(request.query);
    if (!required.ok) return refuse(500, 'error', required.problem, undefined);
    const { requirement } = required;

    const credential = bearerToken(request.authorization, this.options.maxTokenBytes);
    if (!credential.ok) {
      const { problem } = credential;
      const challenge =
        problem === 'missing_token' ? bareChallenge : problem === 'duplicate_authorization' ? invalidRequest : invalidToken;
      return refuse(401, 'deny', problem, challenge, requirement);
    }

    const { token } = credential;
    const { cache } = this.options;
    if (cache === undefined) return this.verifyThenDecide(token, requirement, undefined);
    const key = TokenCache.keyOf(token);
    const cached = cache.get(key);
    return cached === undefined || !this.options.keysReady()
      ? this.verifyThenDecide(token, requirement, { cache, key })
      : byRole(cached, requirement, 'hit');
  }

  /** `slot` is where the identity goes once verified; undefined when the cache is off. */
  private async verifyThenDecide(
    token: string,
    requirement: Requirement,
    slot: { readonly cache: TokenCache; readonly key: string } | undefined,
  ): Promise<Decision> {
    const cacheUse: CacheUse = slot === undefined ? 'off' : 'miss';
    // Only new tokens need the shape check: a cache hit is byte for byte a token that verified.
    if (!looksLikeCompactJws(token)) return refuse(401, 'deny', 'malformed_token', invalidToken, requirement, cacheUse);
    let identity: VerifiedIdentity;
    try {
      identity = await this.options.verifier.verify(token);
    } catch (error) {
      if (error instanceof KeysUnavailableError) return refuse(503, 'error', 'keys_unavailable', undefined, requirement, cacheUse);
      const reason = error instanceof TokenRejectedError ? error.reason : 'verification_error';
      return refuse(401, 'deny', reason, invalidToken, requirement, cacheUse);
    }
    slot?.cache.set(slot.key, identity);
    return byRole(identity, requirement, cacheUse);
  }
}

/** The route's roles are checked on every request, cached token or not. */
function byRole(identity: VerifiedIdentity, requirement: Requirement, cache: CacheUse): Decision {
  if (!satisfies(requirement, identity.roles, identity.scopes)) {
    return { status: 403, outcome: 'deny', reason: 'missing_role', challenge: insufficientScope, identity, requirement, cache };
  }
  return { status: 204, outcome: 'allow', reason: 'allowed', challenge: undefined, identity, requirement, cache };
}

const bareChallenge = 'Bearer';
const invalidToken = 'Bearer error="invalid_token"';
// RFC 6750 pairs invalid_request with 400, but NGINX's auth_request turns a 400 into a 500 for the
// client; 401 keeps the refusal visible as an authentication failure.
const invalidRequest = 'Bearer error="invalid_request"';
const insufficientScope = 'Bearer error="insufficient_scope"';

function refuse(
  status: 401 | 500 | 503,
  outcome: Outcome,
  reason: Reason,
  challenge: string | undefined,
  requirement?: Requirement,
  cache: CacheUse = 'none',
): Decision {
  return { status, outcome, reason, challenge, identity: undefined, requirement, cache };
}
