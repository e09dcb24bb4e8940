import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * JSON lines on stdout. The decision log is built field by field and never includes the token or the
 * Authorization header; the redact list is a second line of defence should someone log a request.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    name: 'edge-authorizer',
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['token', 'authorization', 'headers.authorization', 'req.headers.authorization'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
