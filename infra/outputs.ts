/**
 * The outputs contract other teams read through stack references. Keep it backwards
 * compatible: add fields freely, but renaming or removing one is a breaking change that bumps
 * OUTPUTS_SCHEMA_VERSION. Nothing here is secret (IDs, names, URLs, client IDs); a secret would
 * have to be marked as one, and a test fails on anything that looks like a credential.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AzurePlatform } from "./azure-platform";
import type { ClusterServices } from "./cluster-services";
import type { StackConfig } from "./config";

export const OUTPUTS_SCHEMA_VERSION = 1;

export interface PlatformOutputs {
    schemaVersion: number;
    environment: string;
    location: string;
    tenantId: string;
    resourceGroup: { id: pulumi.Output<string>; name: pulumi.Output<string> };
    workspace: { id: pulumi.Output<string>; name: pulumi.Output<string>; discoveryUrl: pulumi.Output<string>; mlflowTrackingUri: pulumi.Output<string> };
    cluster: { id: pulumi.Output<string>; name: pulumi.Output<string>; oidcIssuerUrl: pulumi.Output<string> };
    keyVault: { id: pulumi.Output<string>; name: pulumi.Output<string>; uri: pulumi.Output<string> };
    containerRegistry: { loginServer: pulumi.Output<string> };
    /** What callers request tokens for, and what the edge checks. */
    api: {
        /** Application (client) ID: the `aud` of v2 access tokens. */
        clientId: pulumi.Output<string>;
        identifierUri: string;
        /** `iss` of v2 access tokens. */
        tokenIssuer: string;
        appRoles: { value: string; id: string; description: string }[];
    };
    /** Where the edge publishes routes; every route requires a token with one of its roles. */
    edge: { hostName: string; exposure: string; routes: { name: string; host: string; path: string; roles: string[] }[] };
    logAnalytics: { workspaceResourceId: pulumi.Output<string>; workspaceId: pulumi.Output<string> };
    /** The access matrix's callers and the client ID each logs in with (none for groups). */
    callers: { name: string; kind: string; roles: string[]; clientId?: pulumi.Output<string> }[];
}

export interface OutputSources {
    config: StackConfig;
    azure: AzurePlatform;
    cluster: ClusterServices;
}

export function platformOutputs({ config, azure, cluster }: OutputSources): PlatformOutputs {
    return {
        schemaVersion: OUTPUTS_SCHEMA_VERSION,
        environment: config.environment,
        location: config.location,
        tenantId: config.tenantId,
        resourceGroup: { id: azure.resourceGroup.id, name: azure.resourceGroup.name },
        workspace: {
            id: azure.workspace.id,
            name: azure.workspace.name,
            discoveryUrl: azure.workspace.discoveryUrl,
            mlflowTrackingUri: azure.workspace.mlflowTrackingUri,
        },
        cluster: { id: azure.cluster.id, name: azure.cluster.name, oidcIssuerUrl: azure.cluster.oidcIssuerUrl },
        keyVault: { id: azure.keyVault.id, name: azure.keyVault.name, uri: azure.keyVault.vaultUri },
        containerRegistry: { loginServer: azure.registryLoginServer },
        api: {
            clientId: azure.api.clientId,
            identifierUri: azure.api.identifierUri,
            tokenIssuer: azure.api.tokenIssuer,
            appRoles: azure.api.appRoles.map(({ value, id, description }) => ({ value, id, description })),
        },
        edge: {
            hostName: config.edge.hostName,
            exposure: config.edge.exposure,
            routes: cluster.routes.map((route) => ({ name: route.routeName, host: route.host, path: route.path, roles: [...route.roles] })),
        },
        logAnalytics: { workspaceResourceId: azure.monitoring.workspaceResourceId, workspaceId: azure.monitoring.workspaceCustomerId },
        callers: azure.callers.map((caller) => ({
            name: caller.name,
            kind: caller.kind,
            roles: caller.roles,
            ...(caller.clientId ? { clientId: caller.clientId } : {}),
        })),
    };
}
