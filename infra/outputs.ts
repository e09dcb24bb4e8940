/**
 * The outputs contract other teams read through stack references. Keep it backwards
 * compatible: add fields freely, but renaming or removing one is a breaking change that bumps
 * OUTPUTS_SCHEMA_VERSION. Nothing here is secret (IDs, names, URLs, client IDs); a secret would
 * have to be marked as one, and a test fails on anything that looks like a credential. The shape
 * is declared once, in the team SDK's kit/outputs-contract.ts (type, JSON Schema and the consumer's check).
 */
import type { AzurePlatform } from "./azure-platform";
import type { ClusterServices } from "./cluster-services";
import type { StackConfig } from "./config";
import { OUTPUTS_SCHEMA_VERSION, type PlatformOutputs } from "@amlmesh/team-sdk/kit/outputs-contract";

export { OUTPUTS_SCHEMA_VERSION, type PlatformOutputs } from "@amlmesh/team-sdk/kit/outputs-contract";

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
            ingressClassName: cluster.ingress.ingressClassName,
            authorizer: { ...cluster.authorizer.service, authServiceName: `${cluster.authorizer.service.namespace}/${cluster.authorizer.service.name}` },
            ingressIdentity: { namespace: cluster.ingress.identity.namespace, serviceAccount: cluster.ingress.identity.name },
            defaultRateLimit: { ...config.edge.rateLimit },
        },
        logAnalytics: { workspaceResourceId: azure.monitoring.workspaceResourceId, workspaceId: azure.monitoring.workspaceCustomerId },
        callers: azure.callers.map((caller) => ({
            name: caller.name,
            kind: caller.kind,
            roles: caller.roles,
            ...(caller.clientId ? { clientId: caller.clientId } : {}),
        })),
        teams: config.teams.map((team) => {
            const identity = azure.teamIdentities.get(team.name);
            if (!identity) throw new Error(`team ${team.name} has no managed identity`);
            return {
                name: team.name,
                namespaces: [...team.namespaces],
                prefixes: team.prefixes.map((prefix) => ({ ...prefix, delegatedTo: `${prefix.namespace}/${prefix.route}` })),
                identity: { clientId: identity.clientId, principalId: identity.principalId, subjects: [...identity.subjects] },
            };
        }),
    };
}
