import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_API_VERSION } from '../src/swap/config.js';
import { parseJson, REPO_ROOT } from './authorizer.js';
import { AmlTokenLedger, ArmStandIn, ClusterOidcIssuer, EntraStandIn, RouterStandIn, type FederatedIdentity } from './azure.js';
import { ManagedProcess } from './processes.js';

const SWAP_ENTRY = fileURLToPath(new URL('../src/swap-main.ts', import.meta.url));

export const TEST_SUBSCRIPTION = '0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9';
export const TEST_WORKSPACE_ID = `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg-aml-test/providers/Microsoft.MachineLearningServices/workspaces/mlw-aml-test`;

export interface SwapRig {
  readonly cluster: ClusterOidcIssuer;
  readonly entra: EntraStandIn;
  readonly arm: ArmStandIn;
  readonly router: RouterStandIn;
  readonly ledger: AmlTokenLedger;
  /** The swap's workload identity, as its federated credential and role assignment know it. */
  readonly identity: FederatedIdentity;
  readonly process: ManagedProcess;
  readonly port: number;
  readonly url: string;
  /** Base URL of the swap's metrics port. */
  readonly metricsUrl: string;
  /** The projected ServiceAccount token file the swap reads. */
  readonly tokenFile: string;
  stop(): Promise<void>;
}

export interface SwapRigOptions {
  /** `system:serviceaccount:<ns>:<sa>` the swap runs as. */
  readonly subject: string;
  /** Online endpoints that exist in the workspace. */
  readonly endpoints: readonly string[];
  /** Whether the swap identity holds the token action on the workspace (its role assignment). */
  readonly granted?: boolean;
  /** Extra SWAP_* / AZURE_* variables. */
  readonly env?: Record<string, string>;
  /** How to run the swap (from source through tsx by default), and where. */
  readonly command?: readonly string[];
  readonly cwd?: string;
}

/**
 * cluster OIDC issuer → token file → swap process → Entra stand-in → ARM stand-in; swap → router
 * stand-in. Each stand-in checks what the real service checks (testkit/azure.ts).
 */
export async function startSwapRig(options: SwapRigOptions): Promise<SwapRig> {
  const stops: (() => Promise<unknown>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'aml-swap-'));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const cluster = await ClusterOidcIssuer.create();
    const identity: FederatedIdentity = { clientId: randomUUID(), principalId: randomUUID(), issuer: cluster, subject: options.subject };
    const entra = await EntraStandIn.start([identity]);
    stops.push(() => entra.stop());
    const ledger = new AmlTokenLedger();
    const arm = await ArmStandIn.start({
      entra,
      workspaceId: TEST_WORKSPACE_ID,
      apiVersion: DEFAULT_API_VERSION,
      tokenActionHolders: options.granted === false ? [] : [identity.principalId],
      endpoints: options.endpoints,
      ledger,
    });
    stops.push(() => arm.stop());
    const router = await RouterStandIn.start(ledger);
    stops.push(() => router.stop());
    const tokenFile = join(dir, 'azure-identity-token');
    await cluster.project(tokenFile, options.subject);

    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('SWAP_') && !name.startsWith('AZURE_') && value !== undefined) env[name] = value;
    const [command, ...args] = options.command ?? [process.execPath, '--import', 'tsx', SWAP_ENTRY];
    const proc = ManagedProcess.spawn('aml-token-swap', command as string, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: {
        ...env,
        SWAP_HOST: '127.0.0.1',
        SWAP_PORT: '0',
        SWAP_METRICS_PORT: '0',
        SWAP_WORKSPACE_ID: TEST_WORKSPACE_ID,
        SWAP_ROUTER_URL: router.url,
        SWAP_ARM_ENDPOINT: arm.endpoint,
        AZURE_CLIENT_ID: identity.clientId,
        AZURE_TENANT_ID: entra.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
        AZURE_AUTHORITY_HOST: entra.authorityHost,
        ...options.env,
      },
    });
    stops.push(() => proc.stop());
    const [port, metricsPort] = await proc.waitForLine((line) => {
      const entry = parseJson(line);
      return entry?.['msg'] === 'listening' && typeof entry['port'] === 'number' && typeof entry['metricsPort'] === 'number' ? [entry['port'], entry['metricsPort']] : undefined;
    });
    return { cluster, entra, arm, router, ledger, identity, process: proc, port, url: `http://127.0.0.1:${port}`, metricsUrl: `http://127.0.0.1:${metricsPort}`, tokenFile, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
