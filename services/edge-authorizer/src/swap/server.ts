import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import { drainServer } from '../server.js';
import type { SwapConfig } from './config.js';
import type { SwapMetrics } from './metrics.js';
import { ENDPOINT_NAME, SwapError, type EndpointTokens, type TokenSource } from './tokens.js';

/** Scoring URIs of Kubernetes online endpoints (the edge's inference route). */
const SCORING_PATH = /^\/api\/v1\/endpoint\/([^/?]*)(?:[/?]|$)/;

/**
 * NGINX passes the client's request target on unnormalised, so a path like
 * `/api/v1/endpoint/churn/../../other` would carry churn's token elsewhere once the router
 * normalises it. Dot segments, empty segments and encoded dots, slashes or backslashes are refused.
 */
const UNSAFE_PATH = /(^|\/)\.{1,2}(\/|$)|\/\/|\\|%2e|%2f|%5c/i;

/** Hop-by-hop headers (RFC 9110 7.6.1) and the ones the swap replaces; never forwarded either way. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization']);

export interface SwapServer {
  readonly server: Server;
  drain(graceMs: number): Promise<void>;
}

/**
 * Between the edge and azureml-fe: takes a request the edge already authorized, replaces the
 * caller's Authorization with the endpoint's own aml_token (the caller's token goes no further),
 * and streams the request and answer through. The endpoint comes from the path and must be a
 * plain endpoint name; anything else is refused before any token is fetched.
 */
export function createSwapServer(config: Pick<SwapConfig, 'routerUrl' | 'routerCaFile'>, tokens: EndpointTokens, logger: Logger, metrics: SwapMetrics): SwapServer {
  const router = new URL(config.routerUrl);
  const tls = router.protocol === 'https:';
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: 256, ...(config.routerCaFile === undefined ? {} : { ca: readFileSync(config.routerCaFile) }) })
    : new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const send = tls ? httpsRequest : httpRequest;

  const server = createServer({ requestTimeout: 300_000, headersTimeout: 10_000 }, (req, res) => {
    const url = req.url ?? '/';
    if (url === '/healthz' || url === '/readyz') {
      small(res, 200, 'ok');
      return;
    }
    const match = SCORING_PATH.exec(url);
    if (match === null) {
      small(res, 404, 'not an online endpoint path');
      return;
    }
    const endpoint = match[1] as string;
    const started = performance.now();
    const log = (status: number, reason: string, source: TokenSource | undefined): void => {
      // Only a valid name is logged or labelled: the raw segment is the client's text.
      const name = ENDPOINT_NAME.test(endpoint) ? endpoint : undefined;
      const seconds = (performance.now() - started) / 1000;
      metrics.recordRequest(name, status, reason, source, seconds);
      logger.info({ endpoint: name, method: req.method, status, reason, token: source, durationMs: Math.round(seconds * 1e6) / 1e3 }, 'swap');
    };
    // Raw path segment as the client sent it: percent-encoding, dots and the like are refused.
    if (!ENDPOINT_NAME.test(endpoint)) {
      req.resume();
      small(res, 400, 'not a valid online endpoint name');
      log(400, 'bad_endpoint_name', undefined);
      return;
    }
    if (UNSAFE_PATH.test(url.split('?', 1)[0] as string)) {
      req.resume();
      small(res, 400, 'the path must not contain dot segments, empty segments or encoded separators');
      log(400, 'unsafe_path', undefined);
      return;
    }
    tokens.get(endpoint).then(
      ({ token, source }) => forward(req, res, endpoint, token, source, log),
      (error: unknown) => {
        req.resume();
        if (error instanceof SwapError) {
          logger.warn({ endpoint, reason: error.reason, err: error.message }, 'no endpoint token');
          small(res, error.status, error.status === 404 ? 'no such online endpoint' : 'the endpoint credential is unavailable', error.status === 503 ? { 'retry-after': '5' } : {});
          log(error.status, error.reason, undefined);
        } else {
          logger.error({ err: error }, 'swap failed');
          small(res, 502, 'the endpoint credential is unavailable');
          log(502, 'internal', undefined);
        }
      },
    );
  });
  server.keepAliveTimeout = 75_000;

  function forward(req: IncomingMessage, res: ServerResponse, endpoint: string, token: string, source: TokenSource, log: (status: number, reason: string, source: TokenSource) => void): void {
    const headers: OutgoingHttpHeaders = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = (req.rawHeaders[i] as string).toLowerCase();
      if (NOT_FORWARDED.has(name)) continue;
      const value = req.rawHeaders[i + 1] as string;
      const existing = headers[name];
      headers[name] = existing === undefined ? value : `${String(existing)}, ${value}`;
    }
    headers['authorization'] = `Bearer ${token}`;
    headers['host'] = router.host;
    const upstream = send(
      { protocol: router.protocol, hostname: router.hostname, port: router.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        const status = answer.statusCode ?? 502;
        if (status === 401 || status === 403) {
          // The router refused our credential, not the caller's: forget it, never pass a 401 on.
          tokens.forget(endpoint, token);
          answer.resume();
          small(res, 502, 'the online endpoint refused the platform credential');
          log(502, 'router_refused_token', source);
          return;
        }
        const back: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) if (!NOT_FORWARDED.has(name) && value !== undefined) back[name] = value;
        res.writeHead(status, back);
        answer.pipe(res);
        log(status, 'forwarded', source);
      },
    );
    upstream.on('error', (error) => {
      logger.warn({ endpoint, err: error.message }, 'router unreachable');
      if (!res.headersSent) small(res, 502, 'the inference router is unreachable');
      else res.destroy();
      log(502, 'router_unreachable', source);
    });
    req.pipe(upstream);
  }

  return {
    server,
    async drain(graceMs: number): Promise<void> {
      await drainServer(server, graceMs);
      agent.destroy();
    },
  };
}

function small(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
