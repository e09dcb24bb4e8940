import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { SupportedAlgorithm } from './config.js';
import { KeysUnavailableError, MissingKeyIdError } from './keys.js';

/** What the edge knows about a caller once its token checks out. */
export interface VerifiedIdentity {
  readonly subject: string;
  /** Entra object id of the user or service principal. */
  readonly objectId: string | undefined;
  /** Client id of the calling application (`azp` in v2 tokens, `appid` in v1). */
  readonly appId: string;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  /** `exp` in epoch milliseconds. */
  readonly expiresAtMs: number;
}

/** Why a token was refused. Stable strings: they are metric labels and log fields. */
export type TokenRejection =
  | 'malformed_token'
  | 'alg_not_allowed'
  | 'unsupported_header'
  | 'missing_kid'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_tenant'
  | 'missing_claim'
  | 'invalid_claim'
  | 'not_an_access_token'
  | 'verification_error';

export class TokenRejectedError extends Error {
  constructor(
    readonly reason: TokenRejection,
    detail: string,
  ) {
    super(detail);
    this.name = 'TokenRejectedError';
  }
}

export interface VerifierOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly tenantId: string;
  readonly algorithms: readonly SupportedAlgorithm[];
  readonly clockSkewSeconds: number;
  readonly getKey: JWTVerifyGetKey;
  /** For tests: the verification clock. */
  readonly now?: () => number;
}

/** Identity header values must be plain visible ASCII so they pass through NGINX unchanged. */
const HEADER_SAFE = /^[\x21-\x7e]{1,256}$/;
const MAX_ROLES = 200;

/**
 * Verifies one token with jose (signature, alg allow-list, crit, iss, aud, exp, nbf, skew) and then
 * the Entra-specific claims jose does not know about (tid, app id, roles, scp).
 * Throws TokenRejectedError, or KeysUnavailableError when no key set is loaded (fail closed).
 */
export class TokenVerifier {
  private readonly now: () => number;
  /** Everything jose checks except the clock, built once. */
  private readonly verifyOptions: JWTVerifyOptions;

  constructor(private readonly options: VerifierOptions) {
    this.now = options.now ?? Date.now;
    this.verifyOptions = {
      issuer: options.issuer,
      audience: [...options.audiences],
      algorithms: [...options.algorithms],
      clockTolerance: options.clockSkewSeconds,
      requiredClaims: ['exp', 'sub', 'tid'],
      // No critical header extensions are understood: any "crit" entry fails verification.
      crit: {},
    };
  }

  async verify(token: string): Promise<VerifiedIdentity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.options.getKey, { ...this.verifyOptions, currentDate: new Date(this.now()) }));
    } catch (error) {
      throw classify(error);
    }
    return this.identityFrom(payload);
  }

  private identityFrom(payload: JWTPayload): VerifiedIdentity {
    const { tid, sub, oid, azp, appid, roles, scp, exp } = payload;
    // jose accepts any number; 1e999 parses to Infinity and would never expire.
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalidClaim('exp');
    if (typeof tid !== 'string' || tid.toLowerCase() !== this.options.tenantId) {
      throw new TokenRejectedError('wrong_tenant', 'tid does not match the configured tenant');
    }
    // Entra puts azp/appid in access tokens only; an ID token for the same audience has neither.
    const appId = azp !== undefined ? azp : appid;
    if (appId === undefined) throw new TokenRejectedError('not_an_access_token', 'no azp or appid claim');
    if (typeof appId !== 'string' || !HEADER_SAFE.test(appId)) throw invalidClaim('azp/appid');
    if (typeof sub !== 'string' || !HEADER_SAFE.test(sub)) throw invalidClaim('sub');
    if (oid !== undefined && (typeof oid !== 'string' || !HEADER_SAFE.test(oid))) throw invalidClaim('oid');
    return {
      subject: sub,
      objectId: oid,
      appId,
      roles: roleList(roles),
      scopes: scopeList(scp),
      expiresAtMs: exp * 1000,
    };
  }
}

function roleList(roles: unknown): string[] {
  if (roles === undefined) return [];
  if (!Array.isArray(roles) || roles.length > MAX_ROLES) throw invalidClaim('roles');
  for (const role of roles) {
    if (typeof role !== 'string' || !HEADER_SAFE.test(role)) throw invalidClaim('roles');
  }
  return roles as string[];
}

function scopeList(scp: unknown): string[] {
  if (scp === undefined) return [];
  if (typeof scp !== 'string' || scp.length > 4096) throw invalidClaim('scp');
  return scp.split(' ').filter((scope) => scope !== '');
}

function invalidClaim(claim: string): TokenRejectedError {
  return new TokenRejectedError('invalid_claim', `claim ${claim} has an unexpected shape`);
}

const CLAIM_REJECTIONS: Readonly<Record<string, TokenRejection>> = {
  iss: 'wrong_issuer',
  aud: 'wrong_audience',
  nbf: 'not_yet_valid',
};

/** Maps jose's errors onto stable reasons; anything unexpected is still a refusal, never a crash. */
function classify(error: unknown): Error {
  if (error instanceof KeysUnavailableError) return error;
  if (error instanceof MissingKeyIdError) return new TokenRejectedError('missing_kid', error.message);
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', error.message);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return new TokenRejectedError('missing_claim', error.message);
    const reason = CLAIM_REJECTIONS[error.claim] ?? 'invalid_claim';
    return new TokenRejectedError(reason, error.message);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError('alg_not_allowed', error.message);
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenRejectedError('unknown_key', error.message);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejectedError('bad_signature', error.message);
  if (error instanceof errors.JOSENotSupported) return new TokenRejectedError('unsupported_header', error.message);
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    // jose reports an unknown "crit" member as JWSInvalid; keep that distinguishable from garbage.
    const reason = /crit|Extension Header/i.test(error.message) ? 'unsupported_header' : 'malformed_token';
    return new TokenRejectedError(reason, error.message);
  }
  if (error instanceof Error) return new TokenRejectedError('verification_error', error.message);
  return new TokenRejectedError('verification_error', String(error));
}
