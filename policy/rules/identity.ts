/**
 * Identity: every hop authenticates with Entra ID and managed identities; nothing holds a
 * client secret; privileged Azure roles are never granted broadly.
 */
import { resourcePolicy, stackPolicy, type AmlmeshPolicy } from "../lib/define";
import { RESOURCE_TYPES, typeNameOf } from "../lib/resource-types";
import { known, knownArray, knownString, sameText, UNKNOWN } from "../lib/values";

/** Built-in roles that can change anything or hand out access (role definition GUIDs). */
export const PRIVILEGED_ROLES: Readonly<Record<string, string>> = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
};

/** The privileged role a role definition ID names, if any (accepts a bare GUID or a full ID). */
export function privilegedRoleName(roleDefinitionId: string): string | undefined {
    const guid = roleDefinitionId.trim().replace(/\/+$/, "").split("/").pop()?.toLowerCase() ?? "";
    return PRIVILEGED_ROLES[guid];
}

/** Describes a scope that is the tenant root, a management group, a subscription or a resource group. */
export function broadScopeKind(scope: string): string | undefined {
    const normalized = scope.trim().toLowerCase().replace(/\/+$/, "");
    if (normalized === "") return "the tenant root";
    if (/^\/providers\/microsoft\.management\/managementgroups\/[^/]+$/.test(normalized)) return "a management group";
    if (/^\/subscriptions\/[^/]+$/.test(normalized)) return "a subscription";
    if (/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+$/.test(normalized)) return "a resource group";
    return undefined;
}

const aksEntraRbac = resourcePolicy({
    name: "aks-entra-id-azure-rbac",
    description: "AKS clusters use Entra ID managed integration with Azure RBAC for Kubernetes authorization.",
    category: "identity",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set aadProfile: { managed: true, enableAzureRBAC: true, tenantID } on the ManagedCluster and grant access with " +
        "'Azure Kubernetes Service RBAC *' role assignments instead of Kubernetes RoleBindings to local users.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)", "164.312(a)(2)(i)", "164.312(d)"] },
    resourceTypes: [RESOURCE_TYPES.managedCluster],
    validate: (cluster, _args, reportViolation) => {
        if (cluster.aadProfile?.managed !== true) reportViolation("aadProfile.managed is not true: the cluster does not use Entra ID managed integration.");
        if (cluster.aadProfile?.enableAzureRBAC !== true) reportViolation("aadProfile.enableAzureRBAC is not true: Kubernetes authorization does not use Azure RBAC.");
        if (cluster.enableRBAC === false) reportViolation("enableRBAC is false: Kubernetes RBAC is switched off.");
    },
});

const aksLocalAccounts = resourcePolicy({
    name: "aks-local-accounts-disabled",
    description: "AKS clusters have local accounts (the static cluster-admin kubeconfig) disabled.",
    category: "identity",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set disableLocalAccounts: true on the ManagedCluster (requires Entra ID integration). Azure ML reaches such a cluster " +
        "through AKS Trusted Access, whose mlworkload role binding it creates when the compute is attached.",
    controls: { soc2: ["CC6.1", "CC6.2"], hipaa: ["164.312(a)(2)(i)", "164.312(d)"] },
    resourceTypes: [RESOURCE_TYPES.managedCluster],
    validate: (cluster, _args, reportViolation) => {
        if (cluster.disableLocalAccounts !== true) {
            reportViolation("disableLocalAccounts is not true: anyone holding the admin kubeconfig bypasses Entra ID.");
        }
    },
});

const aksWorkloadIdentity = resourcePolicy({
    name: "aks-workload-identity",
    description: "AKS clusters expose an OIDC issuer and enable workload identity, so pods use federated managed identities instead of secrets.",
    category: "identity",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set oidcIssuerProfile: { enabled: true } and securityProfile: { workloadIdentity: { enabled: true } } on the " +
        "ManagedCluster; do not enable the deprecated pod-managed identity (podIdentityProfile).",
    controls: { soc2: ["CC6.1"], hipaa: ["164.312(a)(1)", "164.312(d)"] },
    resourceTypes: [RESOURCE_TYPES.managedCluster],
    validate: (cluster, _args, reportViolation) => {
        if (cluster.oidcIssuerProfile?.enabled !== true) reportViolation("oidcIssuerProfile.enabled is not true: federated credentials cannot trust the cluster's tokens.");
        if (cluster.securityProfile?.workloadIdentity?.enabled !== true) {
            reportViolation("securityProfile.workloadIdentity.enabled is not true: pods cannot exchange ServiceAccount tokens for Entra tokens.");
        }
        if (cluster.podIdentityProfile?.enabled === true) reportViolation("podIdentityProfile.enabled is true: the deprecated pod-managed identity (NMI) is on.");
    },
});

const aksManagedIdentity = resourcePolicy({
    name: "aks-managed-identity",
    description: "AKS clusters run as a managed identity, never as a service principal with a client secret.",
    category: "identity",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set identity: { type: 'SystemAssigned' } (or 'UserAssigned' with userAssignedIdentities) and remove " +
        "servicePrincipalProfile and aadProfile.serverAppSecret from the ManagedCluster.",
    controls: { soc2: ["CC6.1"], hipaa: ["164.312(a)(1)", "164.312(d)"] },
    resourceTypes: [RESOURCE_TYPES.managedCluster],
    validate: (cluster, _args, reportViolation) => {
        const identityType = cluster.identity?.type;
        if (!sameText(identityType, "SystemAssigned") && !sameText(identityType, "UserAssigned")) {
            reportViolation(`identity.type is ${identityType === undefined ? "not set" : `'${identityType}'`}: use 'SystemAssigned' or 'UserAssigned'.`);
        }
        const servicePrincipal = cluster.servicePrincipalProfile;
        if (servicePrincipal !== undefined && (servicePrincipal.secret !== undefined || servicePrincipal.clientId !== "msi")) {
            reportViolation("servicePrincipalProfile is set: the cluster would authenticate to Azure with a service principal secret.");
        }
        if (cluster.aadProfile?.serverAppSecret !== undefined) reportViolation("aadProfile.serverAppSecret is set: legacy Entra integration with a client secret.");
    },
});

const noPasswordCredentials = resourcePolicy({
    name: "entra-no-password-credentials",
    description: "App registrations and service principals have no password credentials (client secrets); callers use managed identities or federated credentials.",
    category: "identity",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the ApplicationPassword/ServicePrincipalPassword resource and the Application 'password' block. Give the " +
        "caller a managed identity, or a federated identity credential for CI and external workloads.",
    controls: { soc2: ["CC6.1", "CC6.2"], hipaa: ["164.312(d)", "164.312(a)(1)"] },
    resourceTypes: [RESOURCE_TYPES.application, RESOURCE_TYPES.applicationPassword, RESOURCE_TYPES.servicePrincipalPassword],
    validate: (props, args, reportViolation) => {
        if (args.type !== RESOURCE_TYPES.application) {
            reportViolation(`${typeNameOf(args.type)} creates a client secret.`);
            return;
        }
        if ("password" in props && props.password !== undefined) reportViolation("The Application declares a password credential (client secret).");
    },
});

const noImplicitGrant = resourcePolicy({
    name: "entra-no-implicit-grant",
    description: "App registrations do not allow the OAuth implicit grant (tokens in URL fragments).",
    category: "identity",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set web.implicitGrant.accessTokenIssuanceEnabled and idTokenIssuanceEnabled to false (or omit implicitGrant); " +
        "browser clients use the authorization code flow with PKCE.",
    controls: { soc2: ["CC6.1", "CC6.7"], hipaa: ["164.312(d)", "164.312(e)(1)"] },
    resourceTypes: [RESOURCE_TYPES.application],
    validate: (app, _args, reportViolation) => {
        const grant = app.web?.implicitGrant;
        if (grant?.accessTokenIssuanceEnabled === true) reportViolation("web.implicitGrant.accessTokenIssuanceEnabled is true.");
        if (grant?.idTokenIssuanceEnabled === true) reportViolation("web.implicitGrant.idTokenIssuanceEnabled is true.");
    },
});

const apiRequiresAssignment = stackPolicy({
    name: "entra-api-app-role-assignment-required",
    description: "The service principal of an API application (one that defines app roles) requires app-role assignment, so only assigned callers get tokens.",
    category: "identity",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set appRoleAssignmentRequired: true on the ServicePrincipal of every application that defines appRoles, and " +
        "assign callers with AppRoleAssignment resources derived from the access matrix.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)", "164.312(d)"] },
    validate: (stack, args, reportViolation) => {
        const principals = stack.ofType(RESOURCE_TYPES.servicePrincipal);
        if (principals.length === 0) return args.notApplicable("No service principals in this stack.");
        const applications = stack.ofType(RESOURCE_TYPES.application);
        const applicationsByClientId = new Map(
            applications.flatMap((app) => {
                const clientId = knownString(app.props, "clientId");
                return typeof clientId === "string" ? [[clientId.toLowerCase(), app] as const] : [];
            }),
        );
        for (const principal of principals) {
            const clientId = knownString(principal.props, "clientId");
            const linked = new Set(stack.dependenciesOf(principal, "clientId").filter((r) => r.type === RESOURCE_TYPES.application));
            if (typeof clientId === "string") {
                const app = applicationsByClientId.get(clientId.toLowerCase());
                if (app) linked.add(app);
            }
            // appRoles unknown during preview may still define roles: such an app counts as an API (fail closed).
            const api = [...linked].find((app) => {
                const roles = knownArray(app.props, "appRoles");
                return roles === UNKNOWN || roles.length > 0;
            });
            if (!api) continue;
            const required = known(() => principal.props.appRoleAssignmentRequired);
            if (required !== true && required !== UNKNOWN) {
                const defines = knownArray(api.props, "appRoles") === UNKNOWN ? "whose appRoles are unknown during preview" : "which defines app roles";
                reportViolation(`Service principal of API application '${api.name}' (${defines}) does not set appRoleAssignmentRequired: true.`, principal.urn);
            }
        }
    },
});

const noBroadPrivilegedRoles = resourcePolicy({
    name: "azure-no-privileged-role-at-broad-scope",
    description: "No role assignment grants Owner, Contributor, User Access Administrator or RBAC Administrator at tenant, management group, subscription or resource group scope.",
    category: "identity",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Grant the narrowest data-plane role (e.g. 'Key Vault Secrets User', 'Storage Blob Data Reader', 'AzureML Data " +
        "Scientist') on the single resource the caller needs, through the owning resource's grant* method.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)"] },
    resourceTypes: [RESOURCE_TYPES.roleAssignment],
    validate: (assignment, args, reportViolation) => {
        const role = privilegedRoleName(assignment.roleDefinitionId);
        if (!role) return;
        const scope = known(() => assignment.scope);
        if (scope === UNKNOWN) {
            return args.notApplicable("scope is unknown during preview; azure-no-privileged-role-at-inferred-scope infers it from its dependencies");
        }
        const kind = broadScopeKind(scope);
        if (kind) reportViolation(`Grants ${role} at ${kind} scope (${scope}).`);
    },
});

const inferredScopePrivilegedRoles = stackPolicy({
    name: "azure-no-privileged-role-at-inferred-scope",
    description: "During preview, a privileged role assignment whose scope is computed only from a resource group is treated as resource-group scoped.",
    category: "identity",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Scope the assignment to the resource itself (its id), not to the resource group it lives in, and use the " +
        "narrowest data-plane role.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)"] },
    validate: (stack, args, reportViolation) => {
        const assignments = stack.ofType(RESOURCE_TYPES.roleAssignment);
        if (assignments.length === 0) return args.notApplicable("No role assignments in this stack.");
        for (const assignment of assignments) {
            const roleId = knownString(assignment.props, "roleDefinitionId");
            const role = typeof roleId === "string" ? privilegedRoleName(roleId) : undefined;
            if (!role || knownString(assignment.props, "scope") !== UNKNOWN) continue;
            const sources = stack.dependenciesOf(assignment, "scope");
            if (sources.length > 0 && sources.every((source) => source.type === RESOURCE_TYPES.resourceGroup)) {
                reportViolation(`Grants ${role} at a scope computed only from resource group '${sources[0].name}': treated as resource-group scope.`, assignment.urn);
            }
        }
    },
});

export const identityPolicies: AmlmeshPolicy[] = [
    aksEntraRbac,
    aksLocalAccounts,
    aksWorkloadIdentity,
    aksManagedIdentity,
    noPasswordCredentials,
    noImplicitGrant,
    apiRequiresAssignment,
    noBroadPrivilegedRoles,
    inferredScopePrivilegedRoles,
];
