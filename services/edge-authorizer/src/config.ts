import { isIP } from 'node:net';

/** Asymmetric JWS algorithms the authorizer may be told to accept. HMAC and "none" are never allowed. */
export const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type SupportedAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AuthorizerConfig {
  readonly host: string;
  readonly port: number;
  /** Exact `iss` value; also the base of OIDC discovery. */
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** Lower-case Entra tenant id; the `tid` claim must equal it. */
  readonly tenantId: string;
  /** Explicit JWKS URL; when absent the URL comes from `<issuer>/.well-known/openid-configuration`. */
  readonly jwksUri: string | undefined;
  readonly clockSkewSeconds: number;
  readonly algorithms: readonly SupportedAlgorithm[];
  readonly maxTokenBytes: number;
  readonly cache: { readonly enabled: boolean; readonly maxEntries: number; readonly maxTtlSeconds: number };
  readonly jwks: {
    readonly cooldownSeconds: number;
    readonly refreshSeconds: number;
    readonly maxStaleSeconds: number;
    readonly timeoutMs: number;
  };
  readonly logLevel: LogLevel;
  readonly shutdownGraceSeconds: number;
}

/** Thrown for a bad or missing variable; the message always names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Every variable the authorizer reads; anything else starting with AUTHZ_ is a typo and refused. */
const KNOWN_VARIABLES = [
  'AUTHZ_HOST',
  'AUTHZ_PORT',
  'AUTHZ_ISSUER',
  'AUTHZ_AUDIENCES',
  'AUTHZ_TENANT_ID',
  'AUTHZ_JWKS_URI',
  'AUTHZ_CLOCK_SKEW_SECONDS',
  'AUTHZ_ALLOWED_ALGS',
  'AUTHZ_MAX_TOKEN_BYTES',
  'AUTHZ_CACHE_ENABLED',
  'AUTHZ_CACHE_MAX_ENTRIES',
  'AUTHZ_CACHE_MAX_TTL_SECONDS',
  'AUTHZ_JWKS_COOLDOWN_SECONDS',
  'AUTHZ_JWKS_REFRESH_SECONDS',
  'AUTHZ_JWKS_MAX_STALE_SECONDS',
  'AUTHZ_JWKS_TIMEOUT_MS',
  'AUTHZ_LOG_LEVEL',
  'AUTHZ_SHUTDOWN_GRACE_SECONDS',
] as const;

export type Env = Readonly<Record<string, string | undefined>>;

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Reads and validates the environment once at start; throws ConfigError on the first problem. */
export function loadConfig(env: Env): AuthorizerConfig {
  refuseUnknown(env, 'AUTHZ_', KNOWN_VARIABLES);

  const issuer = requiredString(env, 'AUTHZ_ISSUER');
  checkFetchableUrl('AUTHZ_ISSUER', issuer);

  const jwksUriRaw = optionalString(env, 'AUTHZ_JWKS_URI');
  if (jwksUriRaw !== undefined) checkFetchableUrl('AUTHZ_JWKS_URI', jwksUriRaw);

  const tenantId = requiredString(env, 'AUTHZ_TENANT_ID').toLowerCase();
  if (!GUID.test(tenantId)) {
    throw new ConfigError('AUTHZ_TENANT_ID', `"${tenantId}" is not a tenant id (expected a GUID)`);
  }

  const refreshSeconds = integer(env, 'AUTHZ_JWKS_REFRESH_SECONDS', 300, 10, 86_400);
  const maxStaleSeconds = integer(env, 'AUTHZ_JWKS_MAX_STALE_SECONDS', 86_400, 60, 7 * 86_400);
  if (maxStaleSeconds < refreshSeconds) {
    throw new ConfigError(
      'AUTHZ_JWKS_MAX_STALE_SECONDS',
      `${maxStaleSeconds} is shorter than AUTHZ_JWKS_REFRESH_SECONDS (${refreshSeconds}); keys would expire between refreshes`,
    );
  }

  return {
    host: host(env, 'AUTHZ_HOST'),
    port: integer(env, 'AUTHZ_PORT', 8080, 0, 65_535),
    issuer,
    audiences: audiences(env),
    tenantId,
    jwksUri: jwksUriRaw,
    clockSkewSeconds: integer(env, 'AUTHZ_CLOCK_SKEW_SECONDS', 60, 0, 300),
    algorithms: algorithms(env),
    // Node's own header limit is 16 KiB (set on the server); the token must fit well inside it.
    maxTokenBytes: integer(env, 'AUTHZ_MAX_TOKEN_BYTES', 8192, 1024, 12_288),
    cache: {
      enabled: boolean(env, 'AUTHZ_CACHE_ENABLED', true),
      maxEntries: integer(env, 'AUTHZ_CACHE_MAX_ENTRIES', 10_000, 1, 1_000_000),
      maxTtlSeconds: integer(env, 'AUTHZ_CACHE_MAX_TTL_SECONDS', 300, 1, 3600),
    },
    jwks: {
      // At most 60 s so that a newly published key is accepted within a minute.
      cooldownSeconds: integer(env, 'AUTHZ_JWKS_COOLDOWN_SECONDS', 30, 0, 60),
      refreshSeconds,
      maxStaleSeconds,
      timeoutMs: integer(env, 'AUTHZ_JWKS_TIMEOUT_MS', 5000, 100, 30_000),
    },
    logLevel: logLevel(env, 'AUTHZ_LOG_LEVEL'),
    shutdownGraceSeconds: integer(env, 'AUTHZ_SHUTDOWN_GRACE_SECONDS', 10, 0, 120),
  };
}

/** Any variable with the service's prefix that it does not read is a typo: refused. */
export function refuseUnknown(env: Env, prefix: string, known: readonly string[]): void {
  const unknown = Object.keys(env).filter((name) => name.startsWith(prefix) && !known.includes(name));
  if (unknown.length > 0) {
    const name = unknown.sort()[0] as string;
    throw new ConfigError(name, `unknown variable (known: ${known.join(', ')})`);
  }
}

export function optionalString(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function requiredString(env: Env, name: string): string {
  const value = optionalString(env, name);
  if (value === undefined) throw new ConfigError(name, 'required but not set');
  return value;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `"${raw}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `"${raw}" must be true, false, 1 or 0`);
}

export function host(env: Env, name: string): string {
  const value = optionalString(env, name) ?? '0.0.0.0';
  if (isIP(value) === 0) throw new ConfigError(name, `"${value}" must be an IPv4 or IPv6 address`);
  return value;
}

function audiences(env: Env): string[] {
  const raw = requiredString(env, 'AUTHZ_AUDIENCES');
  const list = [...new Set(raw.split(',').map((entry) => entry.trim()))];
  if (list.some((entry) => entry === '')) {
    throw new ConfigError('AUTHZ_AUDIENCES', `"${raw}" has an empty entry (expected comma-separated audiences)`);
  }
  if (list.length > 16) throw new ConfigError('AUTHZ_AUDIENCES', `${list.length} audiences given; at most 16`);
  return list;
}

function algorithms(env: Env): SupportedAlgorithm[] {
  const raw = optionalString(env, 'AUTHZ_ALLOWED_ALGS') ?? 'RS256';
  const list = [...new Set(raw.split(',').map((entry) => entry.trim()))];
  for (const entry of list) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(entry)) {
      throw new ConfigError(
        'AUTHZ_ALLOWED_ALGS',
        `"${entry}" is not allowed (choose from ${SUPPORTED_ALGORITHMS.join(', ')}; HMAC and "none" are never accepted)`,
      );
    }
  }
  return list as SupportedAlgorithm[];
}

export function logLevel(env: Env, name: string): LogLevel {
  const raw = optionalString(env, name) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `"${raw}" must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return raw as LogLevel;
}

/** Key material must come over TLS; plain http is tolerated only for a loopback issuer (tests, local runs). */
export function checkFetchableUrl(name: string, value: string): void {
  const problem = fetchableUrlProblem(value);
  if (problem !== undefined) throw new ConfigError(name, problem);
}

/** Returns why a URL may not be used to fetch discovery or keys, or undefined if it may. */
export function fetchableUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not an absolute URL`;
  }
  if (url.username !== '' || url.password !== '') return `"${value}" must not carry credentials`;
  if (url.search !== '' || url.hash !== '') return `"${value}" must not have a query or fragment`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return `"${value}" must use https:// (plain http:// only for loopback hosts)`;
}

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}
