/** Why no token could be taken from the request. */
export type CredentialProblem =
  /** No Authorization header, or another scheme: RFC 6750 §3.1 says answer with a bare challenge. */
  | 'missing_token'
  | 'duplicate_authorization'
  | 'token_in_query'
  | 'token_too_large'
  | 'malformed_token';

export type CredentialResult =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly problem: CredentialProblem };

// RFC 7235: the scheme is case-insensitive; RFC 6750: one or more spaces, then the token.
const BEARER = /^bearer +/i;
// A JWS in compact form: three base64url segments. The signature may be empty so that jose, not a
// regex, is the one that refuses "alg": "none" (clearer reason in the log).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Takes the bearer token from the Authorization header values exactly as they arrived. Node's
 * `req.headers` keeps only the first Authorization header and drops the rest silently, so the server
 * passes every value from `req.rawHeaders` and a duplicate is refused here.
 */
export function bearerToken(authorization: readonly string[] | undefined, maxTokenBytes: number): CredentialResult {
  if (authorization === undefined || authorization.length === 0) return { ok: false, problem: 'missing_token' };
  if (authorization.length > 1) return { ok: false, problem: 'duplicate_authorization' };
  const value = authorization[0] as string;
  const scheme = BEARER.exec(value);
  if (scheme === null) return { ok: false, problem: 'missing_token' };
  const token = value.slice(scheme[0].length);
  if (token.length > maxTokenBytes) return { ok: false, problem: 'token_too_large' };
  if (token.length === 0) return { ok: false, problem: 'malformed_token' };
  return { ok: true, token };
}

/**
 * Cheap shape check before handing a token to jose. Only needed for tokens not in the cache: a cache
 * hit is byte-for-byte a token that already verified (and the scan costs as much as the lookup).
 */
export function looksLikeCompactJws(token: string): boolean {
  return COMPACT_JWS.test(token);
}

/**
 * RFC 6750 §2.3 allows `?access_token=`, but a token in a URL ends up in access logs and browser
 * history, and a request must not carry two credentials. The authorizer never reads it; its mere
 * presence in the auth URI refuses the request. (The client's own URI never reaches the authorizer:
 * the controller sends no X-Original-URI, and one a client sends is its own invention.)
 */
export function carriesQueryToken(query: string): boolean {
  // Cheap pre-check; a percent-encoded name (access%5Ftoken) still goes through the full parse.
  if (query === '' || !(query.includes('%') || query.toLowerCase().includes('access_token'))) return false;
  for (const name of new URLSearchParams(query).keys()) {
    if (name.toLowerCase() === 'access_token') return true;
  }
  return false;
}
