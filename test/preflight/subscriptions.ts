/**
 * Stand-in subscriptions for the preflight tests, derived from a stack's requirements (which
 * derive from the same validated config the program deploys): one a completed bootstrap leaves
 * behind, and one that is bare (the deployer can read the subscription, nothing else exists).
 */
import { createHash } from "node:crypto";
import { PRIVATE_ENDPOINT_APPROVER_ROLE, type StackRequirements } from "../../bootstrap/requirements";
import { BUILT_IN_ROLES } from "../../components/azure/roles";
import { deterministicUuid } from "../../offline/mocks/identifiers";
import type { Sku, StandinState, Usage } from "./azure-standin";

/** Role definitions by name; built-in GUIDs where the project knows them, stable made-up ones otherwise. */
const ROLE_GUIDS: Record<string, string> = {
    ...BUILT_IN_ROLES,
    Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    [PRIVATE_ENDPOINT_APPROVER_ROLE]: deterministicUuid("custom-role:private-endpoint-approver"),
};

/** Real sizes of the VM sizes the shipped stacks use (family names as the SKU API spells them). */
const SKUS: [string, string, number][] = [
    ["Standard_D2ds_v5", "standardDDSv5Family", 2],
    ["Standard_D4ds_v5", "standardDDSv5Family", 4],
    ["Standard_D8ds_v5", "standardDDSv5Family", 8],
    ["Standard_DS3_v2", "standardDSv2Family", 4],
    ["Standard_DS4_v2", "standardDSv2Family", 8],
];

const GRAPH_APP_ROLES = [
    { id: "18a4783c-866b-4cc7-a460-3d5e5662c884", value: "Application.ReadWrite.OwnedBy" },
    { id: "06b708a9-e830-4db3-a914-8e69da51d44f", value: "AppRoleAssignment.ReadWrite.All" },
    { id: "7ab1d382-f21e-4acd-a863-ba3e13f7da61", value: "Directory.Read.All" },
    { id: "df021288-bdef-4463-88db-98f22de89214", value: "User.Read.All" },
];

/** The digest of a made-up manifest, as a registry computes it (sha256 of the manifest bytes). */
export const BUILT_DIGEST = `sha256:${createHash("sha256").update('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}').digest("hex")}`;

function usage(value: string, limit: number, currentValue = 0): Usage {
    return { name: { value, localizedValue: value }, currentValue, limit, unit: "Count" };
}

function baseState(requirements: StackRequirements, tenantId: string): StandinState {
    return {
        subscriptionId: requirements.subscriptionId,
        tenantId,
        providers: {},
        features: {},
        resources: new Map(),
        roleDefinitions: new Map(Object.entries(ROLE_GUIDS).map(([name, guid]) => [guid, name])),
        customRoleDefinitions: new Map(),
        roleAssignments: [],
        skus: SKUS.map(([name, family, vcpus]): Sku => ({
            resourceType: "virtualMachines",
            name,
            family,
            capabilities: [{ name: "vCPUs", value: String(vcpus) }, { name: "MemoryGB", value: String(vcpus * 4) }],
            restrictions: [],
        })),
        // A new subscription's default regional limits.
        computeUsages: [usage("cores", 10), usage("standardDDSv5Family", 10), usage("standardDSv2Family", 10), usage("virtualMachines", 25000)],
        mlUsages: [usage("standardDSv2Family", 0), usage("standardDDSv5Family", 0)],
        graph: { servicePrincipalId: deterministicUuid("graph-sp"), appRoles: GRAPH_APP_ROLES, assignments: [] },
        manifests: new Set(),
    };
}

/** A subscription nobody has prepared: the deployer may read it, and that is all. */
export function bareSubscription(requirements: StackRequirements, tenantId: string, deployerId: string): StandinState {
    const state = baseState(requirements, tenantId);
    state.roleAssignments.push({ principalId: deployerId, roleDefinitionGuid: ROLE_GUIDS.Reader, scope: `/subscriptions/${requirements.subscriptionId}` });
    return state;
}

/** What `npm run bootstrap` and its ordered manual steps leave behind for the stack. */
export function preparedSubscription(requirements: StackRequirements, tenantId: string, deployerId: string, options: { certificateExpiresInDays?: number } = {}): StandinState {
    const state = baseState(requirements, tenantId);
    const { ids, names } = requirements;
    for (const namespace of requirements.providers) state.providers[namespace] = "Registered";
    for (const feature of requirements.features) state.features[feature] = "Registered";
    const put = (id: string, body: Record<string, unknown> = {}) => state.resources.set(id, { id, name: id.split("/").pop(), ...body });
    put(ids.platformResourceGroup, { location: requirements.location });
    for (const custom of requirements.customRoles) {
        state.roleDefinitions.set(custom.guid, `${custom.role} (${custom.scope})`);
        state.customRoleDefinitions.set(custom.guid, { actions: [...custom.actions], assignableScopes: [custom.scope] });
    }
    put(ids.resourceGroup, { location: requirements.location });
    put(ids.vnet, { properties: { addressSpace: { addressPrefixes: [requirements.network.hubAddressSpace] } } });
    put(ids.keyVault, { properties: { enableRbacAuthorization: true, publicNetworkAccess: "Disabled" } });
    put(ids.secretsProviderKey);
    const expires = Math.floor(Date.now() / 1000) + (options.certificateExpiresInDays ?? 365) * 86400;
    put(`${ids.keyVault}/secrets/${requirements.edgeCertificate.name}`, { properties: { contentType: "application/x-pkcs12", attributes: { enabled: true, exp: expires } } });
    put(ids.registry, { properties: { loginServer: `${names.bootstrap.registry}.azurecr.io`, adminUserEnabled: false } });
    put(ids.stateContainer);
    put(ids.stateContainer.replace(/\/blobServices\/.*$/, ""));
    if (requirements.network.apiServer === "private") {
        put(ids.apiServerDnsZone, {
            links: [
                { name: "other", properties: { virtualNetwork: { id: `${ids.resourceGroup}/providers/Microsoft.Network/virtualNetworks/unrelated` }, virtualNetworkLinkState: "Completed" } },
                { name: "peer-a", properties: { virtualNetwork: { id: `${ids.resourceGroup}/providers/Microsoft.Network/virtualNetworks/peer-a` }, virtualNetworkLinkState: "Completed" } },
                // Third: only reachable through nextLink.
                { name: "hub", properties: { virtualNetwork: { id: ids.vnet }, virtualNetworkLinkState: "Completed" } },
            ],
        });
    }
    for (const need of requirements.deployerRoles) {
        state.roleAssignments.push({ principalId: deployerId, roleDefinitionGuid: ROLE_GUIDS[need.role], scope: need.scope });
    }
    for (const permission of requirements.graphPermissions) {
        const role = GRAPH_APP_ROLES.find((r) => r.value === permission)!;
        state.graph.assignments.push({ principalId: deployerId, appRoleId: role.id, resourceId: state.graph.servicePrincipalId });
    }
    // Another app's permission of the same name must not count.
    state.graph.assignments.push({ principalId: deployerId, appRoleId: GRAPH_APP_ROLES[3].id, resourceId: deterministicUuid("some-other-api") });
    if (requirements.authorizerImage) state.manifests.add(`${requirements.authorizerImage.repository}@${requirements.authorizerImage.digest}`);
    // Quota raised to what the stack needs at full scale (the bootstrap's quota request).
    state.computeUsages = [usage("cores", 350, 12), usage("standardDDSv5Family", 300, 8), usage("standardDSv2Family", 100), usage("virtualMachines", 25000)];
    state.mlUsages = [usage("standardDSv2Family", 100), usage("standardDDSv5Family", 50)];
    return state;
}
