import { once } from 'node:events';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Authorizer, Decision } from './decision.js';
import { DecisionLog } from './decision-log.js';
import type { Logger } from './log.js';
import type { AuthorizerMetrics } from './metrics.js';

export interface ServerDependencies {
  readonly authorizer: Authorizer;
  readonly metrics: AuthorizerMetrics;
  readonly logger: Logger;
  readonly isReady: () => boolean;
}

/** What the request handlers use: the dependencies plus the decision log built on their logger. */
interface Context extends ServerDependencies {
  readonly decisionLog: DecisionLog;
}

export interface AuthorizerServer {
  readonly server: Server;
  /** Stop accepting, answer in-flight requests with `Connection: close`, force-close after the grace period. */
  drain(graceMs: number): Promise<void>;
}

/** Request line plus headers. A token is capped far below this (AUTHZ_MAX_TOKEN_BYTES); Node answers 431 above it. */
const MAX_HEADER_BYTES = 16 * 1024;

export function createAuthorizerServer(deps: ServerDependencies): AuthorizerServer {
  let draining = false;
  const ready = (): boolean => !draining && deps.isReady();
  const context: Context = { ...deps, decisionLog: new DecisionLog(deps.logger) };
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    if (draining) res.shouldKeepAlive = false;
    route(req, res, context, ready);
  });
  // Longer than NGINX's upstream keepalive_timeout (60 s), so NGINX, not Node, closes idle
  // connections and never sends a subrequest down a socket Node is closing.
  server.keepAliveTimeout = 75_000;
  server.on('connection', () => deps.metrics.recordConnection());

  return {
    server,
    async drain(graceMs: number): Promise<void> {
      draining = true;
      await drainServer(server, graceMs);
    },
  };
}

/** Stop accepting, close idle connections, let in-flight requests finish, force-close after `graceMs`. */
export async function drainServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, 'close');
  server.close();
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), graceMs);
  force.unref();
  await closed;
  clearTimeout(force);
}

function route(req: IncomingMessage, res: ServerResponse, deps: Context, ready: () => boolean): void {
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
      authorize(req, res, mark === -1 ? '' : target.slice(mark + 1), deps);
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

function authorize(req: IncomingMessage, res: ServerResponse, query: string, deps: Context): void {
  const started = performance.now();
  const headers = subrequestHeaders(req.rawHeaders);
  let decision: Decision | Promise<Decision>;
  try {
    decision = deps.authorizer.decide({ authorization: headers.authorization, query });
  } catch (error) {
    fail(res, error, deps);
    return;
  }
  // Cache hits and refusals come back synchronously: no promise, no closures, no extra tick on the
  // hot path.
  if (decision instanceof Promise) {
    decision.then(
      (settled) => finish(res, settled, started, headers, deps),
      (error: unknown) => fail(res, error, deps),
    );
  } else {
    finish(res, decision, started, headers, deps);
  }
}

function finish(res: ServerResponse, decision: Decision, started: number, headers: SubrequestHeaders, deps: Context): void {
  answer(res, decision);
  record(decision, (performance.now() - started) / 1000, headers, deps);
}

/** decide() turns every expected failure into a Decision; reaching this is a bug. Still closed. */
function fail(res: ServerResponse, error: unknown, deps: Context): void {
  empty(res, 500);
  deps.logger.error({ err: error }, 'authorizer failed');
}

/** The request headers a decision reads. */
interface SubrequestHeaders {
  /** Every Authorization header as received, duplicates included. */
  readonly authorization: string[] | undefined;
  /** X-Request-ID (the first, if repeated); validated before it is logged. */
  readonly requestId: string | undefined;
}

/**
 * One pass over rawHeaders. `req.headers` would keep only the first Authorization header and
 * silently drop the others, so a duplicate would go unnoticed; rawHeaders has them all. It is also
 * cheaper than the header object Node builds on first access, which this path never needs.
 */
function subrequestHeaders(rawHeaders: readonly string[]): SubrequestHeaders {
  let authorization: string[] | undefined;
  let requestId: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    // The length test first: most headers are rejected without lower-casing their name.
    switch (name.length) {
      case 13:
        if (name.toLowerCase() === 'authorization') (authorization ??= []).push(value);
        break;
      case 12:
        if (requestId === undefined && name.toLowerCase() === 'x-request-id') requestId = value;
        break;
      default:
    }
  }
  return { authorization, requestId };
}

/**
 * No body on any answer to an auth subrequest: a body stops NGINX reusing the upstream connection.
 * No identity headers either: the controller renders no auth_request_set, so nothing of this
 * answer but its status (and WWW-Authenticate on a 401) reaches anyone.
 */
function answer(res: ServerResponse, decision: Decision): void {
  if (decision.status === 204) {
    res.writeHead(204); // an allow never carries a challenge
  } else {
    const headers: OutgoingHttpHeaders = { 'content-length': '0' };
    if (decision.challenge !== undefined) headers['www-authenticate'] = decision.challenge;
    res.writeHead(decision.status, headers);
  }
  res.end();
}

function record(decision: Decision, seconds: number, headers: SubrequestHeaders, deps: Context): void {
  deps.metrics.recordDecision(decision.outcome, decision.reason, decision.cache, seconds, decision.requirement?.route);
  deps.decisionLog.write(decision, seconds, headers.requestId);
}

function empty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...headers, 'content-length': '0' });
  res.end();
}

function text(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
