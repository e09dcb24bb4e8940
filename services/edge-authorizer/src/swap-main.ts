import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from './config.js';
import { createLogger } from './log.js';
import { loadSwapConfig, type SwapConfig } from './swap/config.js';
import { createMetricsServer, SwapMetrics } from './swap/metrics.js';
import { createSwapServer } from './swap/server.js';
import { EndpointTokens, WorkloadIdentityCredential } from './swap/tokens.js';

/** The Azure ML token swap (same image as the authorizer, its own Deployment): configuration, signals, exit codes. */
function main(): void {
  let config: SwapConfig;
  try {
    config = loadSwapConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: `invalid configuration: ${error.message}`, variable: error.variable })}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel, undefined, 'aml-token-swap');
  const tokens = new EndpointTokens(config, new WorkloadIdentityCredential(config));
  const metrics = new SwapMetrics({ processMetrics: true });
  const swap = createSwapServer(config, tokens, logger, metrics);
  const metricsServer = createMetricsServer(metrics);
  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    metricsServer.close();
    void swap.drain(10_000).then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  const listen = async (server: Server, port: number): Promise<number> => {
    server.listen(port, config.host);
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  };
  Promise.all([listen(swap.server, config.port), listen(metricsServer, config.metricsPort)]).then(
    ([port, metricsPort]) => logger.info({ host: config.host, port, metricsPort, router: config.routerUrl, workspaceId: config.workspaceId }, 'listening'),
    (error: unknown) => {
      logger.fatal({ err: error }, 'cannot listen');
      process.exit(1);
    },
  );
}

main();
