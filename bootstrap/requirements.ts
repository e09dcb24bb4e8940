/**
 * What must exist before the first `pulumi up` of a stack, derived from its validated config:
 * the one list the bootstrap (`npm run bootstrap`) creates and the preflight
 * (`npm run preflight`) checks, so the two cannot drift apart.
 */
import { hubResourceIds } from "../components/azure/hub";
import { BUILT_IN_ROLES, CUSTOM_ROLES, customRoleGuid, type BuiltInRoleName, type CustomRoleName } from "../components/azure/roles";
import { EDGE_AUTHORIZER_IMAGE } from "../components/versions";
import type { StackConfig } from "../infra/config";
import { platformNames, type BootstrapNames } from "../infra/naming";

/** Custom role the bootstrap defines: approve the platform's private endpoints to the hub vault and registry. */
export const PRIVATE_ENDPOINT_APPROVER_ROLE = "amlmesh Private Endpoint Approver";
export const PRIVATE_ENDPOINT_APPROVER_ACTIONS = [
    "Microsoft.KeyVault/vaults/privateEndpointConnectionsApproval/action",
    "Microsoft.ContainerRegistry/registries/privateEndpointConnectionsApproval/action",
];

/** Microsoft Graph's application (the same in every tenant). */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

export interface RoleRequirement {
    /** Role name as Azure shows it (built-in, or the bootstrap's custom role). */
    role: string;
    /** ARM scope the role must apply at (granted there or above). */
    scope: string;
    /** What the scope is, for messages. */
    scopeLabel: string;
    /** Why the deployer needs it. */
    why: string;
    /** For RBAC Administrator: the only roles it may assign there (an ABAC condition). */
    assignableRoles?: BuiltInRoleName[];
    /** For RBAC Administrator: the platform custom roles it may also assign there. */
    assignableCustomRoles?: CustomRoleName[];
}

/** A platform custom role the bootstrap defines (the deployer may assign it, never define it). */
export interface CustomRoleRequirement {
    role: CustomRoleName;
    /** Stable GUID of the definition (`customRoleGuid`), so the program can refer to it. */
    guid: string;
    /** The resource group it is defined in and the only scope it is assignable at. */
    scope: string;
    actions: readonly string[];
    description: string;
}

export interface StackRequirements {
    subscriptionId: string;
    location: string;
    names: { resourceGroup: string; aksCluster: string; bootstrap: BootstrapNames };
    ids: ReturnType<typeof hubResourceIds> & { platformResourceGroup: string; cluster: string; stateContainer: string; secretsProviderKey: string };
    deployerRoles: RoleRequirement[];
    /** Custom roles the bootstrap defines for the program to assign. */
    customRoles: CustomRoleRequirement[];
    /** Microsoft Graph application permissions of a service-principal deployer (app role values). */
    graphPermissions: string[];
    /** Resource provider namespaces that must be Registered. */
    providers: string[];
    /** Preview features that must be Registered (`<namespace>/<feature>`); none today (see README). */
    features: string[];
    edgeCertificate: { vaultName: string; vaultId: string; name: string };
    /** The authorizer build to find in the hub registry; absent when the stack names another image. */
    authorizerImage?: { registry: string; loginServer: string; repository: string; digest: string };
    network: {
        apiServer: "private" | "public";
        platformAddressSpace: string;
        hubAddressSpace: string;
        authorizedRanges: string[];
    };
    /** VM sizes and how many nodes of each the stack may run, by quota pool. */
    vmDemand: { pool: "compute" | "machineLearning"; label: string; vmSize: string; minNodes: number; maxNodes: number }[];
}

/**
 * Providers every stack uses: AKS and its extensions, Azure ML, identities, network, data
 * services, monitoring, and Compute (AKS node pools; the quota check reads it).
 */
const PROVIDERS = [
    "Microsoft.ContainerService",
    "Microsoft.KubernetesConfiguration",
    "Microsoft.MachineLearningServices",
    "Microsoft.ManagedIdentity",
    "Microsoft.Network",
    "Microsoft.Storage",
    "Microsoft.KeyVault",
    "Microsoft.ContainerRegistry",
    "Microsoft.OperationalInsights",
    "Microsoft.Insights",
    "Microsoft.Compute",
];

export function stackRequirements(config: StackConfig, subscriptionId: string): StackRequirements {
    const names = platformNames(config);
    const hub = hubResourceIds(subscriptionId, names.bootstrap);
    const platformResourceGroup = `/subscriptions/${subscriptionId}/resourceGroups/${names.resourceGroup}`;
    const ids = {
        ...hub,
        platformResourceGroup,
        cluster: `${platformResourceGroup}/providers/Microsoft.ContainerService/managedClusters/${names.aksCluster}`,
        stateContainer: `${hub.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${names.bootstrap.stateStorage}/blobServices/default/containers/state`,
        secretsProviderKey: `${hub.keyVault}/keys/${names.bootstrap.secretsProviderKey}`,
    };
    const privateApi = config.cluster.apiServer.access === "private";
    const everyRole = Object.keys(BUILT_IN_ROLES) as BuiltInRoleName[];
    const customRoleNames = Object.keys(CUSTOM_ROLES) as CustomRoleName[];
    const customRoles: CustomRoleRequirement[] = customRoleNames.map((role) => ({
        role,
        guid: customRoleGuid(role, platformResourceGroup),
        scope: platformResourceGroup,
        actions: CUSTOM_ROLES[role].actions,
        description: CUSTOM_ROLES[role].description,
    }));
    const deployerRoles: RoleRequirement[] = [
        { role: "Contributor", scope: platformResourceGroup, scopeLabel: `resource group ${names.resourceGroup}`, why: "creates every platform resource" },
        {
            role: "Role Based Access Control Administrator",
            scope: platformResourceGroup,
            scopeLabel: `resource group ${names.resourceGroup}`,
            why: "grants the platform's identities their roles",
            assignableRoles: everyRole,
            assignableCustomRoles: customRoleNames,
        },
        {
            role: "Role Based Access Control Administrator",
            scope: hub.keyVault,
            scopeLabel: `hub Key Vault ${names.bootstrap.keyVault}`,
            why: "lets the ingress identity read the edge certificate",
            assignableRoles: ["Key Vault Secrets User"],
        },
        {
            role: "Role Based Access Control Administrator",
            scope: hub.registry,
            scopeLabel: `hub registry ${names.bootstrap.registry}`,
            why: "lets the cluster's nodes pull the edge authorizer",
            assignableRoles: ["AcrPull"],
        },
        {
            role: "Reader",
            scope: `/subscriptions/${subscriptionId}`,
            scopeLabel: `subscription ${subscriptionId}`,
            why: "reads registrations, regional quota, the hub and its own role assignments (preflight)",
        },
        { role: "Network Contributor", scope: hub.vnet, scopeLabel: `hub VNet ${names.bootstrap.hubVnet}`, why: "peers the hub with the platform VNet" },
        {
            role: PRIVATE_ENDPOINT_APPROVER_ROLE,
            scope: hub.keyVault,
            scopeLabel: `hub Key Vault ${names.bootstrap.keyVault}`,
            why: "approves the platform VNet's private endpoint to the vault",
        },
        {
            role: PRIVATE_ENDPOINT_APPROVER_ROLE,
            scope: hub.registry,
            scopeLabel: `hub registry ${names.bootstrap.registry}`,
            why: "approves the platform VNet's private endpoint to the registry",
        },
        { role: "AcrPush", scope: hub.registry, scopeLabel: `hub registry ${names.bootstrap.registry}`, why: "pushes the edge authorizer build" },
        {
            role: "Key Vault Crypto Service Encryption User",
            scope: ids.secretsProviderKey,
            scopeLabel: `key ${names.bootstrap.secretsProviderKey}`,
            why: "encrypts and decrypts the stack's secrets (Pulumi secrets provider)",
        },
        { role: "Storage Blob Data Contributor", scope: ids.stateContainer, scopeLabel: `state container of ${names.bootstrap.stateStorage}`, why: "reads and writes Pulumi state" },
    ];
    if (privateApi) {
        deployerRoles.push({
            role: "Role Based Access Control Administrator",
            scope: hub.apiServerDnsZone,
            scopeLabel: `private DNS zone ${names.bootstrap.apiServerDnsZone}`,
            why: "lets the AKS control plane write the API server's record",
            assignableRoles: ["Private DNS Zone Contributor"],
        });
    }

    const image = config.edge.authorizer;
    const loginServer = `${names.bootstrap.registry}.azurecr.io`;
    return {
        subscriptionId,
        location: config.location,
        names: { resourceGroup: names.resourceGroup, aksCluster: names.aksCluster, bootstrap: names.bootstrap },
        ids,
        deployerRoles,
        customRoles,
        graphPermissions: ["Application.ReadWrite.OwnedBy", "AppRoleAssignment.ReadWrite.All", "Directory.Read.All"],
        providers: PROVIDERS,
        features: [],
        edgeCertificate: { vaultName: names.bootstrap.keyVault, vaultId: hub.keyVault, name: config.edge.tlsCertificateName },
        ...(image.image === undefined && image.digest
            ? { authorizerImage: { registry: names.bootstrap.registry, loginServer, repository: EDGE_AUTHORIZER_IMAGE.repository, digest: image.digest } }
            : {}),
        network: {
            apiServer: config.cluster.apiServer.access,
            platformAddressSpace: config.network.addressSpace,
            hubAddressSpace: config.network.hubAddressSpace,
            authorizedRanges: config.cluster.apiServer.authorizedRanges,
        },
        vmDemand: [
            { pool: "compute", label: "AKS system pool", vmSize: config.cluster.systemPool.vmSize, minNodes: config.cluster.systemPool.minCount, maxNodes: config.cluster.systemPool.maxCount },
            { pool: "compute", label: "AKS user pool", vmSize: config.cluster.userPool.vmSize, minNodes: config.cluster.userPool.minCount, maxNodes: config.cluster.userPool.maxCount },
            { pool: "machineLearning", label: "Azure ML compute cluster", vmSize: config.ml.computeCluster.vmSize, minNodes: 0, maxNodes: config.ml.computeCluster.maxNodes },
        ],
    };
}

/**
 * The ABAC condition a deployer role carries (RBAC Administrator limited to its built-in and
 * custom roles), or undefined for a role granted without one. The bootstrap grants with it and
 * the preflight prints it in its fixes, so the two cannot differ.
 */
export function roleCondition(need: RoleRequirement, customRoles: readonly CustomRoleRequirement[]): string | undefined {
    if (!need.assignableRoles) return undefined;
    const customGuids = (need.assignableCustomRoles ?? []).map((role) => {
        const custom = customRoles.find((candidate) => candidate.role === role);
        if (!custom) throw new Error(`${need.role} on ${need.scopeLabel} may assign ${role}, which the bootstrap does not define`);
        return custom.guid;
    });
    return assignableRolesCondition(need.assignableRoles, customGuids);
}

/**
 * The ABAC condition that limits RBAC Administrator to assigning (and removing) only the named
 * roles: the form Azure documents for "constrain role assignments".
 */
export function assignableRolesCondition(roles: BuiltInRoleName[], customRoleGuids: readonly string[] = []): string {
    const guids = [...roles.map((role) => BUILT_IN_ROLES[role]), ...customRoleGuids].join(", ");
    return (
        `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR ` +
        `(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${guids}})) AND ` +
        `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR ` +
        `(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${guids}}))`
    );
}

/** True when `scope` is `parent` or lies below it (ARM IDs compare case-insensitively). */
export function scopeWithin(scope: string, parent: string): boolean {
    const a = scope.toLowerCase().replace(/\/+$/, "");
    const b = parent.toLowerCase().replace(/\/+$/, "");
    return a === b || a.startsWith(`${b}/`);
}
