/**
 * Azure resource names for one stack, in one place. Names scoped to a resource group read
 * `<kind>-<prefix>-<env>`; globally unique names (storage, registry) add a short suffix derived
 * from the tenant, prefix, environment and region, so they are stable across runs and differ
 * between tenants without a random resource. The Key Vault is the exception: purge protection
 * holds a deleted vault's name for its retention, so its suffix is random and kept in state
 * (see KeyVault), and a destroyed stack can be created again at once.
 */
import { createHash } from "node:crypto";
import type { StackConfig } from "./config";

const SHORT_ENVIRONMENT: Record<StackConfig["environment"], string> = { dev: "dev", staging: "stg", prod: "prd" };

export interface PlatformNames {
    resourceGroup: string;
    vnet: string;
    logAnalytics: string;
    appInsights: string;
    /**
     * Start of the Key Vault name; the vault adds a random suffix kept in state, so a destroyed
     * stack's soft-deleted vault never blocks the next one.
     */
    keyVaultPrefix: string;
    /** 3-24 lower-case letters and digits, globally unique. */
    storageAccount: string;
    /** 5-50 letters and digits, globally unique. */
    containerRegistry: string;
    mlWorkspace: string;
    /** Azure ML compute names: 2-16 characters. */
    computeCluster: string;
    kubernetesCompute: string;
    aksCluster: string;
    aksDnsPrefix: string;
    aksNodeResourceGroup: string;
    /** Name of a user-assigned managed identity for a purpose (`aks-kubelet`). */
    identity(purpose: string): string;
    /** Display name of the platform API application. */
    apiApplication: string;
    /** Tenant-qualified application ID URI of the platform API. */
    apiIdentifierUri: string;
    /** Prefix of the display names of caller app registrations. */
    displayNamePrefix: string;
    /** What the bootstrap creates before the first `pulumi up` (`npm run bootstrap`); the program only refers to it. */
    bootstrap: BootstrapNames;
}

export interface BootstrapNames {
    /** The hub resource group: runner network, API server DNS zone, state, secrets-provider vault, image registry. */
    resourceGroup: string;
    hubVnet: string;
    runnerSubnet: string;
    /** Holds the Pulumi secrets-provider key and the edge certificate; 3-24 characters, globally unique. */
    keyVault: string;
    /** Holds the edge authorizer image; globally unique. */
    registry: string;
    /** Pulumi state (blob container `state`); globally unique. */
    stateStorage: string;
    /** The deployer's user-assigned identity (federated with the CI environment). */
    deployerIdentity: string;
    /** Key (in `keyVault`) of the Pulumi secrets provider. */
    secretsProviderKey: string;
    /** Bring-your-own private DNS zone of the AKS API server, linked to the hub (AKS requires this name form). */
    apiServerDnsZone: string;
}

export function platformNames(config: Pick<StackConfig, "namePrefix" | "environment" | "tenantId" | "location">): PlatformNames {
    const { namePrefix: prefix, environment, tenantId, location } = config;
    const base = `${prefix}-${environment}`;
    const short = SHORT_ENVIRONMENT[environment];
    const suffix = createHash("sha256").update(`${tenantId}/${prefix}/${environment}/${location}`).digest("hex").slice(0, 6);
    return {
        resourceGroup: `rg-${base}`,
        vnet: `vnet-${base}`,
        logAnalytics: `log-${base}`,
        appInsights: `appi-${base}`,
        keyVaultPrefix: `kv-${prefix}-${short}-`,
        storageAccount: `st${prefix}${short}${suffix}`,
        containerRegistry: `cr${prefix}${short}${suffix}`,
        mlWorkspace: `mlw-${base}`,
        computeCluster: "cpu-cluster",
        kubernetesCompute: "aks-inference",
        aksCluster: `aks-${base}`,
        aksDnsPrefix: base,
        aksNodeResourceGroup: `rg-${base}-aks-nodes`,
        identity: (purpose) => `id-${base}-${purpose}`,
        apiApplication: `${base}-platform-api`,
        apiIdentifierUri: `api://${tenantId}/${base}-platform`,
        displayNamePrefix: base,
        bootstrap: {
            resourceGroup: `rg-${base}-bootstrap`,
            hubVnet: `vnet-${base}-hub`,
            runnerSubnet: "snet-runner",
            keyVault: `kv-${prefix}-${short}b-${suffix}`,
            registry: `cr${prefix}${short}b${suffix}`,
            stateStorage: `st${prefix}${short}b${suffix}`,
            deployerIdentity: `id-${base}-deployer`,
            secretsProviderKey: `pulumi-${environment}`,
            apiServerDnsZone: `privatelink.${location}.azmk8s.io`,
        },
    };
}
