import type { AddressInfo } from 'node:net';
import { ConfigError } from './config.js';
import { createLogger } from './log.js';
import { loadSwapConfig, type SwapConfig } from './swap/config.js';
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
  const swap = createSwapServer(config, tokens, logger);
  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    void swap.drain(10_000).then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  swap.server.listen(config.port, config.host, () => {
    const address = swap.server.address() as AddressInfo;
    logger.info({ host: address.address, port: address.port, router: config.routerUrl, workspaceId: config.workspaceId }, 'listening');
  });
}

main();
