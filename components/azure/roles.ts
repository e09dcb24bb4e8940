/**
 * The Azure built-in roles the platform grants, by name, with their role-definition GUIDs
 * (identical in every tenant). Only data-plane or narrowly scoped roles belong here: nothing
 * grants Owner, Contributor, User Access Administrator or RBAC Administrator, and a test keeps
 * it that way.
 */
import { uuidV5 } from "../entra/uuid";

export const BUILT_IN_ROLES = {
    // Key Vault (data plane)
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Certificate User": "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
    // Storage (data plane)
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    // Azure Files over OAuth (AML notebooks, code snapshots) when the account has no shared key.
    "Storage File Data Privileged Contributor": "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    // Read-only, and only ever on a single resource (a private endpoint the workspace must see).
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    // Container registry
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    // Azure Machine Learning
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "AzureML Compute Operator": "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    // AKS (Kubernetes authorization through Azure RBAC)
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    // listClusterUserCredential only (a kubeconfig); what the holder may do in the cluster is
    // decided by Azure RBAC data actions or Kubernetes RBAC, not by this role.
    "Azure Kubernetes Service Cluster User Role": "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    // What the AKS control-plane identity needs on the resources it manages for the cluster
    "Managed Identity Operator": "f1a07417-d97a-45cb-824c-7a7467783830",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    // A bring-your-own private DNS zone for a private API server
    "Private DNS Zone Contributor": "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
} as const;

export type BuiltInRoleName = keyof typeof BUILT_IN_ROLES;

/**
 * Custom roles the platform defines where no built-in role is narrow enough. Each holds exactly
 * the actions listed; the definition lives in the stack's resource group (custom roles are not
 * meant to be assignable at a single resource) and is assigned at the one resource that needs it.
 */
export const CUSTOM_ROLES = {
    // "AzureML Data Scientist" would also allow listKeys, deployments, jobs and data access.
    "AzureML Online Endpoint Token Reader": {
        actions: ["Microsoft.MachineLearningServices/workspaces/onlineEndpoints/token/action"],
        description: "Get the aml_token of the workspace's online endpoints, and nothing else.",
    },
} as const;

export type CustomRoleName = keyof typeof CUSTOM_ROLES;

/** The GUID of a platform custom role in one resource group (stable, so updates replace nothing). */
export function customRoleGuid(role: CustomRoleName, resourceGroupId: string): string {
    return uuidV5(`custom-role:${role}:${resourceGroupId.toLowerCase()}`);
}

/**
 * The platform custom role a role definition ID names, given the scope it is assigned at (its
 * GUID is derived from the resource group it is defined in, which holds every scope it may have).
 */
export function customRoleName(definitionId: string, scope: string): CustomRoleName | undefined {
    const group = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i.exec(scope)?.[0];
    const guid = definitionId.split("/").pop()?.toLowerCase();
    if (!group || !guid) return undefined;
    return (Object.keys(CUSTOM_ROLES) as CustomRoleName[]).find((role) => customRoleGuid(role, group) === guid);
}

/** The subscription-scoped role definition ID ARM stores and returns for a built-in role. */
export function roleDefinitionId(subscriptionId: string, role: BuiltInRoleName): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES[role]}`;
}

/** The role name for a role definition ID (bare GUID or full ID), if it is one of ours. */
export function builtInRoleName(definitionId: string): BuiltInRoleName | undefined {
    const guid = definitionId.replace(/\/+$/, "").split("/").pop()?.toLowerCase();
    return (Object.keys(BUILT_IN_ROLES) as BuiltInRoleName[]).find((name) => BUILT_IN_ROLES[name] === guid);
}

/**
 * A role (built-in or app role) as it appears in resource names: `AzureML Data Scientist` →
 * `azureml-data-scientist`, `Model.Invoke` → `model-invoke`.
 */
export function slug(text: string): string {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
