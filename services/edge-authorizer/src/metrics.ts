import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundedLabelValues } from './bounded-labels.js';
import type { CacheUse, Outcome, Reason } from './decision.js';
import type { RefreshEvent } from './keys.js';

/** More distinct routes than a platform publishes; beyond it decisions count under `other`. */
const MAX_ROUTE_LABELS = 256;

/**
 * Prometheus metrics, on a registry of their own (not prom-client's global one) so that several
 * authorizers can live in one test process.
 */
export class AuthorizerMetrics {
  readonly registry = new Registry();

  private readonly decisions = new Counter({
    name: 'edge_authorizer_decisions_total',
    help: 'Authorization decisions by route (from its authURI), outcome (allow, deny, error) and reason.',
    labelNames: ['route', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly latency = new Histogram({
    name: 'edge_authorizer_decision_duration_seconds',
    help: 'Time from receiving an auth subrequest to answering it.',
    labelNames: ['outcome'] as const,
    // Sub-millisecond buckets: a cached decision takes tens of microseconds, an RSA check ~50-100 µs.
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5],
    registers: [this.registry],
  });

  private readonly cacheLookups = new Counter({
    name: 'edge_authorizer_token_cache_lookups_total',
    help: 'Verified-token cache lookups by result (hit, miss).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly refreshes = new Counter({
    name: 'edge_authorizer_jwks_refreshes_total',
    help: 'JWKS fetches by result (success, failure) and trigger (startup, interval, unknown_kid).',
    labelNames: ['result', 'trigger'] as const,
    registers: [this.registry],
  });

  private readonly keys = new Gauge({
    name: 'edge_authorizer_jwks_keys',
    help: 'Keys in the last JWKS fetched successfully.',
    registers: [this.registry],
  });

  private readonly lastRefresh = new Gauge({
    name: 'edge_authorizer_jwks_last_success_timestamp_seconds',
    help: 'Unix time of the last successful JWKS fetch.',
    registers: [this.registry],
  });

  private readonly connections = new Counter({
    name: 'edge_authorizer_connections_accepted_total',
    help: 'TCP connections accepted. Behind controller 5.5.4 it grows with requests: its auth location sends Connection: close.',
    registers: [this.registry],
  });

  constructor(options: { readonly processMetrics: boolean }) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'edge_authorizer_' });
  }

  /** Route labels; bounded, because anything that reaches /authorize can name a route. */
  private readonly routes = new BoundedLabelValues(MAX_ROUTE_LABELS);

  recordDecision(outcome: Outcome, reason: Reason, cache: CacheUse, seconds: number, route: string | undefined): void {
    this.decisions.inc({ route: route === undefined ? 'none' : this.routes.label(route), outcome, reason });
    this.latency.observe({ outcome }, seconds);
    if (cache === 'hit' || cache === 'miss') this.cacheLookups.inc({ result: cache });
  }

  recordRefresh(event: RefreshEvent): void {
    this.refreshes.inc({ result: event.result, trigger: event.trigger });
    if (event.result === 'success') {
      this.keys.set(event.keyCount);
      this.lastRefresh.set(Date.now() / 1000);
    }
  }

  recordConnection(): void {
    this.connections.inc();
  }
}
