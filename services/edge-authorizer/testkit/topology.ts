import { fileURLToPath } from 'node:url';
import type { EdgeObjects } from '../../../offline/edge-render/objects.js';
import { renderEdge, type Rendering } from '../../../offline/edge-render/render.js';
import { authorizerEnv, parseJson, REPO_ROOT, startAuthorizerProcess, type RunningAuthorizer } from './authorizer.js';
import { TestIssuer } from './issuer.js';
import { startNginx, type RunningNginx } from './nginx.js';
import { ManagedProcess } from './processes.js';
import { startUpstream } from './upstream.js';

/** `<namespace>/<service>:<port>`: how a Service port is named in a topology. */
export const serviceKey = (service: { namespace: string; name: string; port: number }): string => `${service.namespace}/${service.name}:${service.port}`;

export interface Topology {
  readonly issuer: TestIssuer;
  readonly authorizer: RunningAuthorizer;
  readonly nginx: RunningNginx;
  /** The stack's edge as NGINX runs it: the routes, and the controller's warnings. */
  readonly rendering: Rendering;
  /** The echo backend standing in for each Service port the routes send to (serviceKey). */
  readonly backends: ReadonlyMap<string, { readonly port: number; readonly requests: () => number }>;
  /** Requests all backends received; only counted for in-process backends. */
  readonly upstreamRequests: () => number;
  /** Base URL of the edge (NGINX); send the route's host in the Host header. */
  readonly edgeUrl: string;
  stop(): Promise<void>;
}

export interface TopologyOptions {
  /** The stack's edge objects (offline/edge-render/stack.ts), rendered as the controller would. */
  readonly objects: EdgeObjects;
  /** Extra AUTHZ_* variables for the authorizer. */
  readonly authorizerEnv?: Record<string, string>;
  /** Run the stand-in backends in child processes (benchmarks) instead of in this process (tests). */
  readonly upstreamProcess?: boolean;
  /** Local processes already running for some Service ports (serviceKey →), instead of echo backends. */
  readonly services?: Readonly<Record<string, { readonly port: number; readonly requests: () => number }>>;
  readonly workerProcesses?: number;
  readonly accessLog?: boolean;
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
 * client → NGINX on the rendered stack config (auth_request) → edge authorizer (child process) → test issuer's JWKS
 *                └─────────────→ an echo backend per Service port the stack's routes send to
 * The externalAuth policies' Service is the authorizer. Everything binds to 127.0.0.1 on ports
 * chosen at run time. stop() tears down whatever did start, even when a later step failed.
 */
export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const issuer = await TestIssuer.start();
    stops.push(() => issuer.stop());
    options.prepareIssuer?.(issuer);

    const authServices = new Set(
      options.objects.policies.flatMap((policy) => {
        const auth = policy.spec.externalAuth;
        if (auth === undefined) return [];
        const [namespace, name] = auth.authServiceName.includes('/') ? auth.authServiceName.split('/') : [policy.metadata.namespace, auth.authServiceName];
        return [serviceKey({ namespace: namespace as string, name: name as string, port: auth.authServicePorts?.[0] ?? 80 })];
      }),
    );
    const backends = new Map<string, { port: number; requests: () => number }>();
    for (const vsr of options.objects.virtualServerRoutes) {
      for (const upstream of vsr.spec.upstreams) {
        const key = serviceKey({ namespace: vsr.metadata.namespace, name: upstream.service, port: upstream.port });
        if (backends.has(key) || authServices.has(key)) continue;
        const given = options.services?.[key];
        if (given !== undefined) {
          backends.set(key, given);
        } else if (options.upstreamProcess === true) {
          const proc = ManagedProcess.spawn('upstream', process.execPath, ['--import', 'tsx', UPSTREAM_ENTRY], { cwd: REPO_ROOT, env: { ...process.env, UPSTREAM_NAME: key } });
          stops.push(() => proc.stop());
          const port = await proc.waitForLine((line) => {
            const found = parseJson(line)?.['port'];
            return typeof found === 'number' ? found : undefined;
          });
          backends.set(key, { port, requests: () => Number.NaN });
        } else {
          const upstream = await startUpstream(key);
          stops.push(() => upstream.stop());
          backends.set(key, { port: upstream.port, requests: upstream.requests });
        }
      }
    }

    const authorizer = await startAuthorizerProcess(authorizerEnv(issuer, options.authorizerEnv), {
      waitReady: options.waitReady ?? true,
      ...(options.authorizerCommand === undefined ? {} : { command: options.authorizerCommand }),
      ...(options.authorizerLogFile === undefined ? {} : { stdoutPath: options.authorizerLogFile }),
    });
    stops.push(() => authorizer.stop());

    let rendering: Rendering | undefined;
    const nginx = await startNginx((prefix, port) => {
      rendering = renderEdge(options.objects, {
        prefix,
        port,
        workerProcesses: options.workerProcesses ?? 1,
        accessLog: options.accessLog ?? true,
        resolve: (service) => {
          const key = serviceKey(service);
          if (authServices.has(key)) return `127.0.0.1:${authorizer.port}`;
          const backend = backends.get(key);
          if (backend === undefined) throw new Error(`no local process stands in for Service ${key}`);
          return `127.0.0.1:${backend.port}`;
        },
      });
      return rendering.conf;
    });
    stops.push(() => nginx.stop());

    return {
      issuer,
      authorizer,
      nginx,
      rendering: rendering as Rendering,
      backends,
      upstreamRequests: () => [...backends.values()].reduce((sum, backend) => sum + backend.requests(), 0),
      edgeUrl: `http://127.0.0.1:${nginx.port}`,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
