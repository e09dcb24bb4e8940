import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type { AuthorizerConfig } from './config.js';
import { Authorizer } from './decision.js';
import { KeyStore } from './keys.js';
import { createLogger, type Logger } from './log.js';
import { AuthorizerMetrics } from './metrics.js';
import { createAuthorizerServer, type AuthorizerServer } from './server.js';
import { TokenCache } from './token-cache.js';
import { TokenVerifier } from './verify.js';

export interface AppOptions {
  /** Where log lines go; stdout by default. Tests pass a collector. */
  readonly logDestination?: DestinationStream;
  /** Clock for key staleness, token validity and the cache. Tests move it. */
  readonly now?: () => number;
  /** Process metrics (CPU, memory, event loop) are global; tests with several apps turn them off. */
  readonly processMetrics?: boolean;
}

export interface App {
  readonly authorizer: Authorizer;
  readonly keyStore: KeyStore;
  readonly metrics: AuthorizerMetrics;
  readonly logger: Logger;
  readonly http: AuthorizerServer;
  /** Starts fetching keys and listening; resolves once the port is bound (not when keys are loaded). */
  start(): Promise<AddressInfo>;
  /** Graceful: stop accepting, drain, stop refreshing keys. */
  stop(): Promise<void>;
}

/** The composition root: every part is built here from the validated configuration, and only here. */
export function createApp(config: AuthorizerConfig, options: AppOptions = {}): App {
  const logger = createLogger(config.logLevel, options.logDestination);
  const metrics = new AuthorizerMetrics({ processMetrics: options.processMetrics ?? true });
  const keyStore = new KeyStore({
    issuer: config.issuer,
    jwksUri: config.jwksUri,
    cooldownMs: config.jwks.cooldownSeconds * 1000,
    refreshIntervalMs: config.jwks.refreshSeconds * 1000,
    maxStaleMs: config.jwks.maxStaleSeconds * 1000,
    timeoutMs: config.jwks.timeoutMs,
    ...(options.now === undefined ? {} : { now: options.now }),
    onRefresh: (event) => {
      metrics.recordRefresh(event);
      if (event.result === 'success') logger.info({ trigger: event.trigger, keys: event.keyCount, jwksUri: event.jwksUri }, 'jwks refreshed');
      else logger.warn({ trigger: event.trigger, error: event.error }, 'jwks refresh failed; keeping previous keys');
    },
  });
  const verifier = new TokenVerifier({
    issuer: config.issuer,
    audiences: config.audiences,
    tenantId: config.tenantId,
    algorithms: config.algorithms,
    clockSkewSeconds: config.clockSkewSeconds,
    getKey: keyStore.getKey,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const cache = config.cache.enabled
    ? new TokenCache({
        maxEntries: config.cache.maxEntries,
        maxTtlMs: config.cache.maxTtlSeconds * 1000,
        ...(options.now === undefined ? {} : { now: options.now }),
      })
    : undefined;
  const authorizer = new Authorizer({ verifier, cache, maxTokenBytes: config.maxTokenBytes, keysReady: () => keyStore.ready });
  const http = createAuthorizerServer({ authorizer, metrics, logger, isReady: () => keyStore.ready });

  return {
    authorizer,
    keyStore,
    metrics,
    logger,
    http,
    async start(): Promise<AddressInfo> {
      keyStore.start();
      http.server.listen(config.port, config.host);
      await new Promise<void>((resolve, reject) => {
        http.server.once('listening', resolve).once('error', reject);
      });
      const address = http.server.address() as AddressInfo;
      logger.info({ host: address.address, port: address.port, cache: config.cache.enabled, issuer: config.issuer }, 'listening');
      return address;
    },
    async stop(): Promise<void> {
      keyStore.stop();
      await http.drain(config.shutdownGraceSeconds * 1000);
    },
  };
}
