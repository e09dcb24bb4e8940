import { checkFetchableUrl, ConfigError, GUID, host, integer, logLevel, optionalString, refuseUnknown, requiredString, type Env, type LogLevel } from '../config.js';

/**
 * The Azure ML token swap's settings. AZURE_* come from the AKS workload identity webhook (pod
 * label `azure.workload.identity/use: "true"`); SWAP_* from the Deployment.
 */
export interface SwapConfig {
  readonly host: string;
  readonly port: number;
  /** Port of `/metrics`, apart from the inference port, whose mesh authorization admits the ingress alone. */
  readonly metricsPort: number;
  /** ARM ID of the workspace whose online endpoints are served. */
  readonly workspaceId: string;
  /** Base URL of the inference router (azureml-fe). */
  readonly routerUrl: string;
  /** PEM bundle that signs the router's serving certificate (https only). */
  readonly routerCaFile: string | undefined;
  readonly armEndpoint: string;
  /** api-version of `POST .../onlineEndpoints/{name}/token`. */
  readonly apiVersion: string;
  readonly timeoutMs: number;
  readonly identity: {
    readonly clientId: string;
    readonly tenantId: string;
    /** The projected ServiceAccount token; re-read for every Entra request (kubelet rotates it). */
    readonly federatedTokenFile: string;
    /** Ends with "/". */
    readonly authorityHost: string;
  };
  readonly logLevel: LogLevel;
}

const KNOWN = [
  'SWAP_HOST',
  'SWAP_PORT',
  'SWAP_METRICS_PORT',
  'SWAP_WORKSPACE_ID',
  'SWAP_ROUTER_URL',
  'SWAP_ROUTER_CA_FILE',
  'SWAP_ARM_ENDPOINT',
  'SWAP_API_VERSION',
  'SWAP_TIMEOUT_MS',
  'SWAP_LOG_LEVEL',
] as const;

/** The stable api-version the pinned azure-native SDK uses for getOnlineEndpointToken. */
export const DEFAULT_API_VERSION = '2025-12-01';

const WORKSPACE_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/i;

export function loadSwapConfig(env: Env): SwapConfig {
  refuseUnknown(env, 'SWAP_', KNOWN);
  const workspaceId = requiredString(env, 'SWAP_WORKSPACE_ID');
  if (!WORKSPACE_ID.test(workspaceId)) {
    throw new ConfigError('SWAP_WORKSPACE_ID', `"${workspaceId}" is not an ML workspace ID (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<name>)`);
  }
  const routerUrl = requiredString(env, 'SWAP_ROUTER_URL').replace(/\/+$/, '');
  checkFetchableUrl('SWAP_ROUTER_URL', routerUrl);
  const armEndpoint = (optionalString(env, 'SWAP_ARM_ENDPOINT') ?? 'https://management.azure.com').replace(/\/+$/, '');
  checkFetchableUrl('SWAP_ARM_ENDPOINT', armEndpoint);
  const authorityHost = `${(optionalString(env, 'AZURE_AUTHORITY_HOST') ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')}/`;
  checkFetchableUrl('AZURE_AUTHORITY_HOST', authorityHost);
  const apiVersion = optionalString(env, 'SWAP_API_VERSION') ?? DEFAULT_API_VERSION;
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion)) throw new ConfigError('SWAP_API_VERSION', `"${apiVersion}" is not an ARM api-version`);
  const guid = (name: string): string => {
    const value = requiredString(env, name).toLowerCase();
    if (!GUID.test(value)) throw new ConfigError(name, `"${value}" is not a GUID (is the pod labelled azure.workload.identity/use: "true"?)`);
    return value;
  };
  const port = integer(env, 'SWAP_PORT', 8080, 0, 65_535);
  const metricsPort = integer(env, 'SWAP_METRICS_PORT', 9464, 0, 65_535);
  if (port !== 0 && metricsPort === port) throw new ConfigError('SWAP_METRICS_PORT', `${metricsPort} is SWAP_PORT too; metrics need a port of their own`);
  return {
    host: host(env, 'SWAP_HOST'),
    port,
    metricsPort,
    workspaceId,
    routerUrl,
    routerCaFile: optionalString(env, 'SWAP_ROUTER_CA_FILE'),
    armEndpoint,
    apiVersion,
    timeoutMs: integer(env, 'SWAP_TIMEOUT_MS', 5000, 100, 60_000),
    identity: {
      clientId: guid('AZURE_CLIENT_ID'),
      tenantId: guid('AZURE_TENANT_ID'),
      federatedTokenFile: requiredString(env, 'AZURE_FEDERATED_TOKEN_FILE'),
      authorityHost,
    },
    logLevel: logLevel(env, 'SWAP_LOG_LEVEL'),
  };
}
