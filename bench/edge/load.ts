import autocannon from 'autocannon';

export interface LoadOptions {
  readonly url: string;
  /** Host header (the VirtualServer's host). */
  readonly host?: string;
  /** Authorization header values, cycled request by request (several hot clients). */
  readonly tokens: readonly string[];
  readonly durationSeconds: number;
  readonly connections: number;
  /** Status every answer must have; anything else makes the run invalid. */
  readonly expectStatus: number;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  /** Socket-level errors (resets) autocannon counted; a handful per run is reported, not fatal. */
  readonly errors: number;
}

/**
 * Socket errors above this share of the requests make the run invalid. NGINX closes each client
 * connection after `keepalive_requests` (1000, as the controller renders it); autocannon can race
 * that close with its next write and count a reset. At most one such race per recycle: 1 in 1000.
 */
const TOLERATED_ERROR_SHARE = 1e-3;

/**
 * Closed-loop HTTP load with autocannon from this process. The load generator shares the machine's
 * cores with NGINX and the Node processes under test, so absolute numbers understate what the edge
 * does with cores of its own; ratios within one run are the meaningful figures.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const host = options.host === undefined ? {} : { host: options.host };
  const requests =
    options.tokens.length === 0
      ? [{ method: 'GET' as const, headers: host }]
      : options.tokens.map((token) => ({ method: 'GET' as const, headers: { ...host, authorization: `Bearer ${token}` } }));
  // autocannon's own histogram keeps whole milliseconds; the response event carries the exact
  // duration, so percentiles are computed from those instead (sub-millisecond latencies matter here).
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: options.url, connections: options.connections, duration: options.durationSeconds, requests, timeout: 10 },
      (error, finished) => (error === null || error === undefined ? resolve(finished) : reject(error instanceof Error ? error : new Error(String(error)))),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
    });
  });
  latencies.sort((a, b) => a - b);
  const unexpected = result.statusCodeStats === undefined ? result.non2xx : Object.entries(result.statusCodeStats)
    .filter(([status]) => Number(status) !== options.expectStatus)
    .reduce((sum, [, stats]) => sum + (stats.count ?? 0), 0);
  // Any wrong status invalidates the run. A few socket errors in tens of thousands of requests
  // (a reset racing a connection NGINX closes after keepalive_requests) do not change the figure;
  // they are printed, and more than one per recycle invalidates the run too.
  if (unexpected > 0 || result.errors > result.requests.total * TOLERATED_ERROR_SHARE) {
    throw new Error(`${options.url}: ${result.errors} errors, ${unexpected} answers other than ${options.expectStatus} (${JSON.stringify(result.statusCodeStats)})`);
  }
  if (result.errors > 0) console.warn(`note: ${options.url}: ${result.errors} socket errors in ${result.requests.total} requests (under ${TOLERATED_ERROR_SHARE * 100}%, run kept)`);
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    total: result.requests.total,
    errors: result.errors,
  };
}

/** The value at `quantile` (0..1) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], quantile: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * quantile))] ?? Number.NaN;
}
