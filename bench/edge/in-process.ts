import { performance } from 'node:perf_hooks';
import { createApp } from '../../services/edge-authorizer/src/app.js';
import { loadConfig } from '../../services/edge-authorizer/src/config.js';
import { authorizerEnv } from '../../services/edge-authorizer/testkit/authorizer.js';
import type { TestIssuer } from '../../services/edge-authorizer/testkit/issuer.js';
import { pollUntil } from '../../services/edge-authorizer/testkit/processes.js';
import { percentile } from './load.js';

export interface DecisionRate {
  readonly decisionsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Authorizer.decide() called directly, no HTTP: the ceiling of the decision logic itself. `concurrency`
 * calls are kept in flight; jose's WebCrypto verification runs on libuv's thread pool, so uncached
 * decisions can use more than one core even in a single process.
 */
export async function inProcessDecisionRate(
  issuer: TestIssuer,
  options: { cache: boolean; tokens: readonly string[]; durationMs: number; concurrency: number },
): Promise<DecisionRate> {
  const config = loadConfig(authorizerEnv(issuer, { AUTHZ_CACHE_ENABLED: String(options.cache), AUTHZ_LOG_LEVEL: 'warn' }));
  // Decisions are measured, not their log lines (warn level writes none); a destination of its own
  // also keeps each run from adding a process 'exit' flush hook.
  const app = createApp(config, { processMetrics: false, logDestination: { write: () => undefined } });
  app.keyStore.start(); // retries with backoff, as in production
  await pollUntil(() => app.keyStore.ready, { timeoutMs: 15_000, intervalMs: 50, describe: () => 'in-process authorizer could not load keys' });
  const requests = options.tokens.map((token) => ({ authorization: [`Bearer ${token}`], query: 'route=models/churn-scoring&roles=Model.Invoke' }));

  const run = async (durationMs: number): Promise<{ count: number; latencies: number[]; elapsedMs: number }> => {
    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + durationMs;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const request = requests[next++ % requests.length] as (typeof requests)[number];
        const t0 = performance.now();
        const decision = await app.authorizer.decide(request);
        latencies.push(performance.now() - t0);
        if (decision.status !== 204) throw new Error(`unexpected decision ${decision.status} ${decision.reason}`);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    return { count: latencies.length, latencies, elapsedMs: performance.now() - started };
  };

  await run(Math.min(1000, options.durationMs)); // warm up JIT and, when on, the cache
  const { count, latencies, elapsedMs } = await run(options.durationMs);
  app.keyStore.stop();
  latencies.sort((a, b) => a - b);
  return {
    decisionsPerSecond: count / (elapsedMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}
