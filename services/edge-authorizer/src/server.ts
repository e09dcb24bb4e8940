import { once } from 'node:events';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { queryOf } from './credentials.js';
import type { Authorizer, Decision } from './decision.js';
import type { Logger } from './log.js';
import type { AuthorizerMetrics } from './metrics.js';

export interface ServerDependencies {
  readonly authorizer: Authorizer;
  readonly metrics: AuthorizerMetrics;
  readonly logger: Logger;
  readonly isReady: () => boolean;
}

export interface AuthorizerServer {
  readonly server: Server;
  /** Stop accepting, answer in-flight requests with `Connection: close`, force-close after the grace period. */
  drain(graceMs: number): Promise<void>;
}

/** Request line plus headers. A token is capped far below this (AUTHZ_MAX_TOKEN_BYTES); Node answers 431 above it. */
const MAX_HEADER_BYTES = 16 * 1024;

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function createAuthorizerServer(deps: ServerDependencies): AuthorizerServer {
  let draining = false;
  const ready = (): boolean => !draining && deps.isReady();
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    if (draining) res.shouldKeepAlive = false;
    route(req, res, deps, ready);
  });
  // Longer than NGINX's upstream keepalive_timeout (60 s), so NGINX, not Node, closes idle
  // connections and never sends a subrequest down a socket Node is closing.
  server.keepAliveTimeout = 75_000;
  server.on('connection', () => deps.metrics.recordConnection());

  return {
    server,
    async drain(graceMs: number): Promise<void> {
      draining = true;
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      force.unref();
      await closed;
      clearTimeout(force);
    },
  };
}

function route(req: IncomingMessage, res: ServerResponse, deps: ServerDependencies, ready: () => boolean): void {
  const target = req.url ?? '/';
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    // NGINX auth subrequests are always GET; anything else is not NGINX.
    empty(res, 405, { allow: 'GET, HEAD' });
    return;
  }
  switch (path) {
    case '/authorize':
      authorize(req, res, queryOf(target), deps);
      return;
    case '/healthz':
      text(res, 200, 'ok\n');
      return;
    case '/readyz':
      if (ready()) text(res, 200, 'ready\n');
      else text(res, 503, 'not ready: no usable signing keys, or shutting down\n');
      return;
    case '/metrics':
      void deps.metrics.registry.metrics().then(
        (body) => text(res, 200, body, deps.metrics.registry.contentType),
        () => empty(res, 500),
      );
      return;
    default:
      empty(res, 404);
  }
}

function authorize(req: IncomingMessage, res: ServerResponse, query: string, deps: ServerDependencies): void {
  const started = performance.now();
  const forwarded = req.headers['x-original-uri'];
  const originalUri = typeof forwarded === 'string' ? forwarded : undefined;
  const finish = (decision: Decision): void => {
    answer(res, decision);
    record(req, decision, (performance.now() - started) / 1000, originalUri, deps);
  };
  // decide() turns every expected failure into a Decision; reaching fail() is a bug. Still closed.
  const fail = (error: unknown): void => {
    empty(res, 500);
    deps.logger.error({ err: error }, 'authorizer failed');
  };
  let decision: Decision | Promise<Decision>;
  try {
    decision = deps.authorizer.decide({ authorization: authorizationValues(req.rawHeaders), query, originalUri });
  } catch (error) {
    fail(error);
    return;
  }
  // Cache hits and refusals come back synchronously: no promise, no extra tick on the hot path.
  if (decision instanceof Promise) decision.then(finish, fail);
  else finish(decision);
}

/**
 * Every Authorization header as received. `req.headers` keeps only the first and silently drops the
 * others, so a duplicate would go unnoticed; rawHeaders has them all (and is cheaper to scan than
 * building `req.headersDistinct`).
 */
function authorizationValues(rawHeaders: readonly string[]): string[] | undefined {
  let values: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') (values ??= []).push(rawHeaders[i + 1] as string);
  }
  return values;
}

/** No body on any answer to an auth subrequest: a body stops NGINX reusing the upstream connection. */
function answer(res: ServerResponse, decision: Decision): void {
  const headers: OutgoingHttpHeaders = {};
  if (decision.challenge !== undefined) headers['www-authenticate'] = decision.challenge;
  const { identity } = decision;
  if (decision.status === 204 && identity !== undefined) {
    headers['x-auth-subject'] = identity.subject;
    if (identity.objectId !== undefined) headers['x-auth-object-id'] = identity.objectId;
    headers['x-auth-app-id'] = identity.appId;
    // Space-separated: Entra role values may contain commas but never spaces.
    if (identity.roles.length > 0) headers['x-auth-roles'] = identity.roles.join(' ');
    res.writeHead(204, headers);
  } else {
    headers['content-length'] = '0';
    res.writeHead(decision.status, headers);
  }
  res.end();
}

function record(req: IncomingMessage, decision: Decision, seconds: number, originalUri: string | undefined, deps: ServerDependencies): void {
  deps.metrics.recordDecision(decision.outcome, decision.reason, decision.cache, seconds);
  const requestId = req.headers['x-request-id'];
  const { identity, requirement } = decision;
  const line = {
    requestId: typeof requestId === 'string' && REQUEST_ID.test(requestId) ? requestId : undefined,
    decision: decision.outcome,
    status: decision.status,
    reason: decision.reason,
    subject: identity?.subject,
    objectId: identity?.objectId,
    appId: identity?.appId,
    roles: identity?.roles,
    requiredRoles: requirement?.roles,
    requiredScopes: requirement?.scopes,
    cache: decision.cache,
    // Path only: a query string may carry secrets (that is why access_token is refused).
    uri: originalUri === undefined ? undefined : originalUri.split('?', 1)[0]?.slice(0, 256),
    durationMs: Math.round(seconds * 1e6) / 1e3,
  };
  if (decision.outcome === 'error') deps.logger.error(line, 'decision');
  else deps.logger.info(line, 'decision');
}

function empty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...headers, 'content-length': '0' });
  res.end();
}

function text(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
