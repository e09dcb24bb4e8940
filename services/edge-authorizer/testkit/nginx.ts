import { accessSync, constants, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, freePort, pollUntil } from './processes.js';

export const NGINX_BINARY = process.env['NGINX_BIN'] ?? '/usr/sbin/nginx';

export function nginxAvailable(): boolean {
  try {
    accessSync(NGINX_BINARY, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes an nginx.conf for the prefix and port NGINX will use. The tests and the benchmark pass
 * the rendering of the stack's edge objects (offline/edge-render): no configuration is written by
 * hand here.
 */
export type NginxConfigSource = (prefix: string, port: number) => string;

export interface RunningNginx {
  readonly port: number;
  readonly prefix: string;
  /** The configuration NGINX runs. */
  readonly conf: string;
  readonly process: ManagedProcess;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Starts NGINX in the foreground with a rendered config in a temp dir; works as root and non-root. */
export async function startNginx(render: NginxConfigSource): Promise<RunningNginx> {
  let lastError: unknown;
  // The port is chosen before NGINX binds it; on the rare collision, try another.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const prefix = mkdtempSync(join(tmpdir(), 'edge-nginx-'));
    // As root, NGINX workers run as nobody and must be able to reach the temp paths.
    chmodSync(prefix, 0o755);
    mkdirSync(join(prefix, 'temp'), { mode: 0o755 });
    const port = await freePort();
    writeFileSync(join(prefix, 'nginx.conf'), render(prefix, port));
    // The rendering sets daemon off, the pid file and error_log (prefix/error.log) itself.
    const errorLogPath = join(prefix, 'error.log');
    const proc = ManagedProcess.spawn('nginx', NGINX_BINARY, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', errorLogPath]);
    const errorLog = (): string => {
      try {
        return readFileSync(errorLogPath, 'utf8');
      } catch {
        return '';
      }
    };
    try {
      await waitForPort(port, proc);
      return {
        port,
        prefix,
        conf: readFileSync(join(prefix, 'nginx.conf'), 'utf8'),
        process: proc,
        errorLog,
        async stop() {
          await proc.stop();
          rmSync(prefix, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = new Error(`${error instanceof Error ? error.message : String(error)}\n${errorLog()}\n${proc.output()}`);
      await proc.stop();
      rmSync(prefix, { recursive: true, force: true });
    }
  }
  throw lastError;
}

async function waitForPort(port: number, proc: ManagedProcess, timeoutMs = 10_000): Promise<void> {
  await pollUntil(
    () => {
      if (!proc.running) throw new Error('nginx exited during start');
      return new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    },
    { timeoutMs, intervalMs: 50, describe: () => `nginx did not listen on ${port} within ${timeoutMs} ms` },
  );
}
