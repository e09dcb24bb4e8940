import { fileURLToPath } from 'node:url';
import { authorizerEnv, parseJson, REPO_ROOT, startAuthorizerProcess, type RunningAuthorizer } from './authorizer.js';
import { TestIssuer } from './issuer.js';
import { startNginx, type NginxOptions, type RunningNginx } from './nginx.js';
import { ManagedProcess } from './processes.js';
import { startUpstream } from './upstream.js';

export interface Topology {
  readonly issuer: TestIssuer;
  readonly authorizer: RunningAuthorizer;
  readonly nginx: RunningNginx;
  readonly upstreamPort: number;
  /** Requests the backend received; only counted for an in-process backend. */
  readonly upstreamRequests: () => number;
  /** Base URL of the edge (NGINX). */
  readonly edgeUrl: string;
  stop(): Promise<void>;
}

export interface TopologyOptions {
  /** Extra AUTHZ_* variables for the authorizer. */
  readonly authorizerEnv?: Record<string, string>;
  /** Run the stand-in backend in a child process (benchmarks) instead of in this process (tests). */
  readonly upstreamProcess?: boolean;
  readonly nginx?: Pick<NginxOptions, 'routes' | 'workerProcesses' | 'accessLog'>;
  /** How to run the authorizer; from source through tsx by default (see startAuthorizerProcess). */
  readonly authorizerCommand?: readonly string[];
  /** Write the authorizer's log to this file instead of a pipe read by this process. */
  readonly authorizerLogFile?: string;
  /** Runs after the issuer starts and before the authorizer does (e.g. to break the JWKS). */
  readonly prepareIssuer?: (issuer: TestIssuer) => void;
  /** Wait for /readyz before returning (default true). */
  readonly waitReady?: boolean;
}

const UPSTREAM_ENTRY = fileURLToPath(new URL('./upstream-main.ts', import.meta.url));

/**
 * client → NGINX (auth_request) → edge authorizer (child process) → test issuer's JWKS
 *                └─────────────→ stand-in backend
 * Everything binds to 127.0.0.1 on ports chosen at run time. stop() tears down whatever did start,
 * even when a later step failed.
 */
export async function startTopology(options: TopologyOptions = {}): Promise<Topology> {
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const issuer = await TestIssuer.start();
    stops.push(() => issuer.stop());
    options.prepareIssuer?.(issuer);

    let upstreamPort: number;
    let upstreamRequests = (): number => Number.NaN;
    if (options.upstreamProcess === true) {
      const proc = ManagedProcess.spawn('upstream', process.execPath, ['--import', 'tsx', UPSTREAM_ENTRY], { cwd: REPO_ROOT });
      stops.push(() => proc.stop());
      upstreamPort = await proc.waitForLine((line) => {
        const port = parseJson(line)?.['port'];
        return typeof port === 'number' ? port : undefined;
      });
    } else {
      const upstream = await startUpstream();
      stops.push(() => upstream.stop());
      upstreamPort = upstream.port;
      upstreamRequests = upstream.requests;
    }

    const authorizer = await startAuthorizerProcess(authorizerEnv(issuer, options.authorizerEnv), {
      waitReady: options.waitReady ?? true,
      ...(options.authorizerCommand === undefined ? {} : { command: options.authorizerCommand }),
      ...(options.authorizerLogFile === undefined ? {} : { stdoutPath: options.authorizerLogFile }),
    });
    stops.push(() => authorizer.stop());

    const nginx = await startNginx({ authorizerPort: authorizer.port, upstreamPort, ...options.nginx });
    stops.push(() => nginx.stop());

    return { issuer, authorizer, nginx, upstreamPort, upstreamRequests, edgeUrl: `http://127.0.0.1:${nginx.port}`, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
