import { LRUCache } from 'lru-cache';

/**
 * What a route demands, from the auth URI's query (`/authorize?roles=Model.Invoke,Model.Admin`).
 * With NGINX auth_request the subrequest URI is fixed per location, so each route's policy names its
 * roles in its authURI. The token passes if it holds ANY listed app role (`roles` claim) OR ANY listed
 * delegated scope (`scp` claim) — Microsoft's "scope or app permission" rule for APIs that accept both
 * user and application tokens.
 */
export interface Requirement {
  /** `<namespace>/<name>` of the route (its VirtualServerRoute), for logs and metrics; optional. */
  readonly route: string | undefined;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
}

export type RequirementResult =
  | { readonly ok: true; readonly requirement: Requirement }
  | { readonly ok: false; readonly problem: 'no_requirement' | 'bad_requirement' };

const NAME = /^[\x21-\x2b\x2d-\x7e]{1,128}$/; // visible ASCII without the comma separator
const MAX_NAMES = 32;
/** A Kubernetes namespace and object name. */
const ROUTE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/;

/**
 * A route's query never changes, so parsed requirements are memoised. Bounded in entries and in key
 * length, because a direct caller can send any query.
 */
const memo = new LRUCache<string, RequirementResult>({ max: 1024 });
const MAX_MEMO_KEY = 512;

export function requirementFrom(query: string): RequirementResult {
  const cached = memo.get(query);
  if (cached !== undefined) return cached;
  const result = parse(query);
  if (query.length <= MAX_MEMO_KEY) memo.set(query, result);
  return result;
}

function parse(query: string): RequirementResult {
  const params = new URLSearchParams(query);
  const roles = names(params.getAll('roles'));
  const scopes = names(params.getAll('scopes'));
  const routes = params.getAll('route');
  if (roles === undefined || scopes === undefined || routes.length > 1 || (routes[0] !== undefined && !ROUTE.test(routes[0]))) {
    return { ok: false, problem: 'bad_requirement' };
  }
  // A route that names nothing would admit any token for the audience — in Entra that is any app in
  // the tenant. Refuse it as a configuration error instead of allowing it silently.
  if (roles.length === 0 && scopes.length === 0) return { ok: false, problem: 'no_requirement' };
  return { ok: true, requirement: { route: routes[0], roles, scopes } };
}

function names(values: string[]): string[] | undefined {
  const list = values.flatMap((value) => value.split(',')).filter((name) => name !== '');
  if (list.length > MAX_NAMES || list.some((name) => !NAME.test(name))) return undefined;
  return [...new Set(list)];
}

export function satisfies(requirement: Requirement, roles: readonly string[], scopes: readonly string[]): boolean {
  return (
    requirement.roles.some((role) => roles.includes(role)) || requirement.scopes.some((scope) => scopes.includes(scope))
  );
}
