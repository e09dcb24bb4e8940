/**
 * Composition root: builds the platform from components for one validated stack config and
 * returns the outputs contract. No resource settings live here, only wiring.
 *
 * The Azure side (`buildAzurePlatform`) returns what the Kubernetes side needs: the provider,
 * the Key Vault, a workload-identity factory, the API's token facts, the ML namespace and the
 * inference router. The mesh and edge wiring plug in here.
 */
import { buildAzurePlatform } from "./azure-platform";
import type { StackConfig } from "./config";
import { platformOutputs, type PlatformOutputs } from "./outputs";

export function buildPlatform(config: StackConfig): PlatformOutputs {
    const azure = buildAzurePlatform(config);
    return platformOutputs({ config, azure });
}
