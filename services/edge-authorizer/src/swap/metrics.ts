import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundedLabelValues } from '../bounded-labels.js';
import type { TokenSource } from './tokens.js';

/** More endpoints than a workspace serves; beyond it requests count under `other`. */
const MAX_ENDPOINT_LABELS = 256;

/**
 * The swap's Prometheus metrics: what callers got and why (an Entra or ARM outage shows up as
 * `reason="arm_unreachable"` and the like, never as refused callers), and where each forwarded
 * request's aml_token came from. A registry of its own, like the authorizer's.
 */
export class SwapMetrics {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: 'aml_token_swap_requests_total',
    help: 'Requests by online endpoint (a valid name, else "invalid"), answer status and reason.',
    labelNames: ['endpoint', 'status', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly duration = new Histogram({
    name: 'aml_token_swap_request_duration_seconds',
    help: 'Time from a request to its answer headers (token lookup or fetch, then the router).',
    labelNames: ['reason'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly tokens = new Counter({
    name: 'aml_token_swap_endpoint_tokens_total',
    help: 'aml_tokens used for forwarded requests, by source: cache, fresh (fetched for it) or stale (kept while a refresh failed).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  /** Endpoint labels; bounded, because a caller names the endpoint in the path. */
  private readonly endpoints = new BoundedLabelValues(MAX_ENDPOINT_LABELS);

  constructor(options: { readonly processMetrics: boolean }) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'aml_token_swap_' });
  }

  /** `endpoint` is undefined when the path did not name a valid endpoint. */
  recordRequest(endpoint: string | undefined, status: number, reason: string, source: TokenSource | undefined, seconds: number): void {
    this.requests.inc({ endpoint: endpoint === undefined ? 'invalid' : this.endpoints.label(endpoint), status: String(status), reason });
    this.duration.observe({ reason }, seconds);
    if (source !== undefined) this.tokens.inc({ source });
  }
}

/** GET /metrics and nothing else, on the metrics port. */
export function createMetricsServer(metrics: SwapMetrics): Server {
  return createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && req.url === '/metrics') {
      metrics.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
          res.end(body);
        },
        () => {
          res.writeHead(500, { 'content-length': '0' });
          res.end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-length': '0' });
    res.end();
  });
}
