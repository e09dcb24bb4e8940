import { createApp } from './app.js';
import { ConfigError, loadConfig, type AuthorizerConfig } from './config.js';

/** Process concerns only: configuration from the environment, signals, exit codes. */
function main(): void {
  let config: AuthorizerConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: `invalid configuration: ${error.message}`, variable: error.variable })}\n`);
    process.exit(2);
  }

  const app = createApp(config);
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        app.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  app.start().catch((error: unknown) => {
    app.logger.fatal({ err: error }, 'cannot listen');
    process.exit(1);
  });
}

main();
