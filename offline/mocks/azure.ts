/**
 * Mock outputs for `azure-native` resources: ARM-shaped resource IDs built from the inputs the
 * program gave, and the computed properties the program reads back (principal IDs, URIs, the
 * cluster's OIDC issuer). Add a row to ARM_TYPES when the program starts using a new type.
 */
import { deterministicSuffix, deterministicUuid, OFFLINE_DEPLOYER_OBJECT_ID, OFFLINE_SUBSCRIPTION_ID } from "./identifiers";
import type { MockContext, ResourceMock } from "./types";

interface ArmType {
    /** Resource provider namespace and type path, e.g. `Microsoft.KeyVault/vaults`. */
    arm: string;
    /** Input that names the resource; absent when Azure names it (auto-named otherwise). */
    nameInput?: string;
    /** For child types: inputs naming the parents, outermost first, each with the segment after it. */
    parents?: { input: string; segment: string }[];
    /** Extension resources live under another resource's ID taken from this input. */
    scopeInput?: string;
    /** Extra outputs Azure computes. */
    outputs?: (ctx: ArmContext) => Record<string, unknown>;
}

interface ArmContext extends MockContext {
    id: string;
    resourceName: string;
    inputs: Record<string, unknown>;
}

const principal = (seed: string, tenantId: string) => ({
    principalId: deterministicUuid(`principal:${seed}`),
    tenantId,
});

const ARM_TYPES: Record<string, ArmType> = {
    "resources:ResourceGroup": { arm: "", nameInput: "resourceGroupName" },
    "network:VirtualNetwork": { arm: "Microsoft.Network/virtualNetworks", nameInput: "virtualNetworkName" },
    "network:Subnet": {
        arm: "Microsoft.Network/virtualNetworks",
        nameInput: "subnetName",
        parents: [{ input: "virtualNetworkName", segment: "subnets" }],
    },
    "network:VirtualNetworkPeering": {
        arm: "Microsoft.Network/virtualNetworks",
        nameInput: "virtualNetworkPeeringName",
        parents: [{ input: "virtualNetworkName", segment: "virtualNetworkPeerings" }],
    },
    "network:NetworkSecurityGroup": { arm: "Microsoft.Network/networkSecurityGroups", nameInput: "networkSecurityGroupName" },
    "network:PrivateEndpoint": {
        arm: "Microsoft.Network/privateEndpoints",
        nameInput: "privateEndpointName",
        outputs: ({ id }) => ({ networkInterfaces: [{ id: `${id}.nic` }] }),
    },
    "network:PrivateDnsZoneGroup": {
        arm: "Microsoft.Network/privateEndpoints",
        nameInput: "privateDnsZoneGroupName",
        parents: [{ input: "privateEndpointName", segment: "privateDnsZoneGroups" }],
    },
    "network:PublicIPAddress": { arm: "Microsoft.Network/publicIPAddresses", nameInput: "publicIpAddressName" },
    "privatedns:PrivateZone": { arm: "Microsoft.Network/privateDnsZones", nameInput: "privateZoneName" },
    "privatedns:VirtualNetworkLink": {
        arm: "Microsoft.Network/privateDnsZones",
        nameInput: "virtualNetworkLinkName",
        parents: [{ input: "privateZoneName", segment: "virtualNetworkLinks" }],
    },
    "operationalinsights:Workspace": {
        arm: "Microsoft.OperationalInsights/workspaces",
        nameInput: "workspaceName",
        outputs: ({ id }) => ({ customerId: deterministicUuid(`law-customer:${id}`) }),
    },
    "applicationinsights:Component": {
        arm: "Microsoft.Insights/components",
        nameInput: "resourceName",
        outputs: ({ id, location }) => {
            const key = deterministicUuid(`appi-key:${id}`);
            return {
                appId: deterministicUuid(`appi-app:${id}`),
                instrumentationKey: key,
                connectionString: `InstrumentationKey=${key};IngestionEndpoint=https://${location}-0.in.applicationinsights.azure.com/`,
            };
        },
    },
    "monitor:DiagnosticSetting": { arm: "Microsoft.Insights/diagnosticSettings", nameInput: "name", scopeInput: "resourceUri" },
    "keyvault:Vault": {
        arm: "Microsoft.KeyVault/vaults",
        nameInput: "vaultName",
        outputs: ({ inputs, resourceName }) => ({
            properties: { ...(inputs.properties as object), vaultUri: `https://${resourceName}.vault.azure.net/` },
        }),
    },
    "keyvault:Secret": {
        arm: "Microsoft.KeyVault/vaults",
        nameInput: "secretName",
        parents: [{ input: "vaultName", segment: "secrets" }],
        outputs: ({ inputs, resourceName }) => ({
            properties: {
                secretUri: `https://${String(inputs.vaultName)}.vault.azure.net/secrets/${resourceName}`,
                secretUriWithVersion: `https://${String(inputs.vaultName)}.vault.azure.net/secrets/${resourceName}/${deterministicSuffix(resourceName, 32)}`,
            },
        }),
    },
    "managedidentity:UserAssignedIdentity": {
        arm: "Microsoft.ManagedIdentity/userAssignedIdentities",
        nameInput: "resourceName",
        outputs: ({ id, tenantId }) => ({
            principalId: deterministicUuid(`principal:${id}`),
            clientId: deterministicUuid(`client:${id}`),
            tenantId,
        }),
    },
    "managedidentity:FederatedIdentityCredential": {
        arm: "Microsoft.ManagedIdentity/userAssignedIdentities",
        nameInput: "federatedIdentityCredentialResourceName",
        parents: [{ input: "resourceName", segment: "federatedIdentityCredentials" }],
    },
    "containerservice:ManagedCluster": {
        arm: "Microsoft.ContainerService/managedClusters",
        nameInput: "resourceName",
        outputs: ({ id, location, tenantId, resourceName, inputs }) => {
            const nodeResourceGroup = String(inputs.nodeResourceGroup ?? `MC_${String(inputs.resourceGroupName)}_${resourceName}_${location}`);
            const nodeIdentity = (identityName: string) =>
                `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/resourceGroups/${nodeResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${identityName}`;
            const addons = (inputs.addonProfiles ?? {}) as Record<string, Record<string, unknown>>;
            const withIdentities: Record<string, unknown> = {};
            for (const [addon, profile] of Object.entries(addons)) {
                withIdentities[addon] = {
                    ...profile,
                    identity: {
                        clientId: deterministicUuid(`client:${id}/addon/${addon}`),
                        objectId: deterministicUuid(`principal:${id}/addon/${addon}`),
                        resourceId: nodeIdentity(`${addon.toLowerCase()}-${resourceName}`),
                    },
                };
            }
            const fqdnSuffix = deterministicSuffix(id, 8);
            const privateCluster = (inputs.apiServerAccessProfile as { enablePrivateCluster?: boolean } | undefined)?.enablePrivateCluster === true;
            return {
                fqdn: privateCluster ? undefined : `${String(inputs.dnsPrefix ?? resourceName)}-${fqdnSuffix}.hcp.${location}.azmk8s.io`,
                privateFQDN: privateCluster ? `${String(inputs.dnsPrefix ?? resourceName)}-${fqdnSuffix}.${deterministicUuid(`pdns:${id}`)}.privatelink.${location}.azmk8s.io` : undefined,
                nodeResourceGroup,
                oidcIssuerProfile: {
                    ...(inputs.oidcIssuerProfile as object),
                    issuerURL: `https://${location}.oic.prod-aks.azure.com/${tenantId}/${deterministicUuid(`oidc:${id}`)}/`,
                },
                // A user-assigned kubelet identity comes back as given; otherwise AKS creates one.
                identityProfile: (inputs.identityProfile as Record<string, unknown> | undefined) ?? {
                    kubeletidentity: {
                        clientId: deterministicUuid(`client:${id}/kubelet`),
                        objectId: deterministicUuid(`principal:${id}/kubelet`),
                        resourceId: nodeIdentity(`${resourceName}-agentpool`),
                    },
                },
                azurePortalFQDN: `${String(inputs.dnsPrefix ?? resourceName)}-${fqdnSuffix}.portal.hcp.${location}.azmk8s.io`,
                addonProfiles: withIdentities,
                powerState: { code: "Running" },
            };
        },
    },
    "containerservice:AgentPool": {
        arm: "Microsoft.ContainerService/managedClusters",
        nameInput: "agentPoolName",
        parents: [{ input: "resourceName", segment: "agentPools" }],
    },
    "containerservice:MaintenanceConfiguration": {
        arm: "Microsoft.ContainerService/managedClusters",
        nameInput: "configName",
        parents: [{ input: "resourceName", segment: "maintenanceConfigurations" }],
    },
    "containerservice:TrustedAccessRoleBinding": {
        arm: "Microsoft.ContainerService/managedClusters",
        nameInput: "trustedAccessRoleBindingName",
        parents: [{ input: "resourceName", segment: "trustedAccessRoleBindings" }],
    },
    "storage:StorageAccount": {
        arm: "Microsoft.Storage/storageAccounts",
        nameInput: "accountName",
        outputs: ({ resourceName }) => ({
            primaryEndpoints: {
                blob: `https://${resourceName}.blob.core.windows.net/`,
                file: `https://${resourceName}.file.core.windows.net/`,
                dfs: `https://${resourceName}.dfs.core.windows.net/`,
            },
        }),
    },
    "storage:BlobServiceProperties": {
        arm: "Microsoft.Storage/storageAccounts",
        nameInput: "blobServicesName",
        parents: [{ input: "accountName", segment: "blobServices" }],
    },
    "storage:BlobContainer": {
        arm: "Microsoft.Storage/storageAccounts",
        nameInput: "containerName",
        parents: [{ input: "accountName", segment: "blobServices/default/containers" }],
    },
    "containerregistry:Registry": {
        arm: "Microsoft.ContainerRegistry/registries",
        nameInput: "registryName",
        outputs: ({ resourceName }) => ({ loginServer: `${resourceName}.azurecr.io` }),
    },
    "machinelearningservices:Workspace": {
        arm: "Microsoft.MachineLearningServices/workspaces",
        nameInput: "workspaceName",
        outputs: ({ id, location, tenantId }) => ({
            identity: { type: "SystemAssigned", ...principal(id, tenantId) },
            workspaceId: deterministicUuid(`workspace:${id}`),
            discoveryUrl: `https://${location}.api.azureml.ms/discovery`,
            mlFlowTrackingUri: `azureml://${location}.api.azureml.ms/mlflow/v1.0${id}`,
        }),
    },
    "machinelearningservices:Compute": {
        arm: "Microsoft.MachineLearningServices/workspaces",
        nameInput: "computeName",
        parents: [{ input: "workspaceName", segment: "computes" }],
        outputs: ({ id, inputs, tenantId }) => {
            const identity = inputs.identity as { type?: string } | undefined;
            return identity?.type?.includes("SystemAssigned") ? { identity: { ...identity, ...principal(id, tenantId) } } : {};
        },
    },
    "machinelearningservices:ManagedNetworkSettingsRule": {
        arm: "Microsoft.MachineLearningServices/workspaces",
        nameInput: "ruleName",
        parents: [{ input: "workspaceName", segment: "outboundRules" }],
    },
    "machinelearningservices:Datastore": {
        arm: "Microsoft.MachineLearningServices/workspaces",
        nameInput: "name",
        parents: [{ input: "workspaceName", segment: "datastores" }],
    },
    "kubernetesconfiguration:Extension": {
        arm: "Microsoft.ContainerService/managedClusters",
        nameInput: "extensionName",
        parents: [{ input: "clusterName", segment: "providers/Microsoft.KubernetesConfiguration/extensions" }],
        outputs: ({ id, tenantId }) => ({ aksAssignedIdentity: { type: "SystemAssigned", ...principal(id, tenantId) } }),
    },
    "authorization:RoleAssignment": {
        arm: "Microsoft.Authorization/roleAssignments",
        nameInput: "roleAssignmentName",
        scopeInput: "scope",
    },
};

/** Builds the ARM ID `/subscriptions/…/resourceGroups/…/providers/<arm>/<parent>/<segment>/<name>`. */
function armId(row: ArmType, inputs: Record<string, unknown>, resourceName: string): string {
    if (row.scopeInput) {
        const scope = String(inputs[row.scopeInput] ?? `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}`);
        return `${scope}/providers/${row.arm}/${resourceName}`;
    }
    const group = `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/resourceGroups/${String(inputs.resourceGroupName ?? resourceName)}`;
    if (!row.arm) return group;
    let id = `${group}/providers/${row.arm}`;
    for (const parent of row.parents ?? []) id += `/${String(inputs[parent.input])}/${parent.segment}`;
    return `${id}/${resourceName}`;
}

export const azureNativeMock: ResourceMock = (args, ctx) => {
    const key = args.type.replace(/^azure-native:/, "");
    const row = ARM_TYPES[key];
    const given = row?.nameInput ? args.inputs[row.nameInput] : undefined;
    // Role assignments are named by a GUID; everything else is auto-named like Pulumi does.
    const resourceName =
        typeof given === "string"
            ? given
            : key === "authorization:RoleAssignment"
              ? deterministicUuid(`role-assignment:${args.name}`)
              : `${args.name}${deterministicSuffix(args.type + args.name)}`;
    const id = row ? armId(row, args.inputs, resourceName) : `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/providers/offline/${key}/${resourceName}`;
    const extra = row?.outputs?.({ ...ctx, id, resourceName, inputs: args.inputs }) ?? {};
    return {
        id,
        state: { ...args.inputs, ...(row?.nameInput ? { [row.nameInput]: resourceName } : {}), name: resourceName, id, location: args.inputs.location ?? ctx.location, ...extra },
    };
};

/** `azure-native` functions the program calls. */
export function azureNativeCall(token: string, inputs: Record<string, unknown>, ctx: MockContext): Record<string, unknown> | undefined {
    switch (token) {
        case "azure-native:authorization:getClientConfig":
            return {
                clientId: deterministicUuid("deployer-client"),
                objectId: OFFLINE_DEPLOYER_OBJECT_ID,
                subscriptionId: OFFLINE_SUBSCRIPTION_ID,
                tenantId: ctx.tenantId,
            };
        // The platform resource group is created by the bootstrap; the program only reads it.
        case "azure-native:resources:getResourceGroup": {
            const name = String(inputs.resourceGroupName);
            return { id: `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/resourceGroups/${name}`, name, location: ctx.location, type: "Microsoft.Resources/resourceGroups" };
        }
        case "azure-native:containerservice:listManagedClusterUserCredentials": {
            const cluster = String(inputs.resourceName);
            const kubeconfig = [
                "apiVersion: v1",
                "kind: Config",
                `clusters: [{name: ${cluster}, cluster: {server: "https://${cluster}.hcp.${ctx.location}.azmk8s.io:443"}}]`,
                // What AKS returns for format=exec: kubelogin with device-code login (interactive).
                `users: [{name: clusterUser_${String(inputs.resourceGroupName)}_${cluster}, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin, ` +
                    `args: [get-token, --environment, AzurePublicCloud, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, ${ctx.tenantId}, --login, devicecode], ` +
                    `env: null, provideClusterInfo: false, interactiveMode: IfAvailable}}}]`,
                `contexts: [{name: ${cluster}, context: {cluster: ${cluster}, user: clusterUser_${String(inputs.resourceGroupName)}_${cluster}}}]`,
                `current-context: ${cluster}`,
            ].join("\n");
            return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
        }
        default:
            return undefined;
    }
}
