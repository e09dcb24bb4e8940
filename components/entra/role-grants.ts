/**
 * THE table: which Azure RBAC roles, at which scope, each app role of the platform API implies.
 * The access matrix applies it to every caller, so the roles checked at the edge and the
 * permissions in Azure cannot drift apart. An app role without a row (or with an empty row)
 * grants nothing in Azure: it is checked at the edge only.
 *
 * Scopes are named, not computed: each one maps to a `grant*` method of the component that
 * owns the resource, which places the assignment at that resource (never at a resource group).
 */
import type * as authorization from "@pulumi/azure-native/authorization";
import type { MlStorage } from "../azure/ml-storage";
import type { MlWorkspace } from "../azure/ml-workspace";
import type { Principal } from "../azure/principal";

/** The blob container with curated feature data. */
export const FEATURES_CONTAINER = "features";

/** An Azure role at a named scope. Only combinations that have a grant method type-check. */
export type ImpliedGrant =
    | { scope: "ml-workspace"; role: "AzureML Data Scientist" | "AzureML Compute Operator" }
    | { scope: "ml-storage-account" | "features-container"; role: "Storage Blob Data Reader" | "Storage Blob Data Contributor" }
    | { scope: "ml-storage-account"; role: "Storage File Data Privileged Contributor" };

export const APP_ROLE_GRANTS: Readonly<Record<string, readonly ImpliedGrant[]>> = {
    /** Calling published models is decided at the edge; nothing in Azure. */
    "Model.Invoke": [],
    /** Register models and roll out deployments. */
    "Model.Deploy": [{ scope: "ml-workspace", role: "AzureML Data Scientist" }],
    /**
     * Submit jobs and read/write the workspace's data. With shared keys off, Azure ML users need
     * both data roles on the account: blobs (datastores) and files (notebooks, code).
     */
    "Experiment.Run": [
        { scope: "ml-workspace", role: "AzureML Data Scientist" },
        { scope: "ml-storage-account", role: "Storage Blob Data Contributor" },
        { scope: "ml-storage-account", role: "Storage File Data Privileged Contributor" },
    ],
    /** Read curated features, nothing else in the account. */
    "Features.Read": [{ scope: "features-container", role: "Storage Blob Data Reader" }],
};

/** The owners of the scopes in the table. */
export interface GrantTargets {
    workspace: Pick<MlWorkspace, "grantDataScientist" | "grantComputeOperator">;
    storage: Pick<MlStorage, "grantBlobDataReader" | "grantBlobDataContributor" | "grantFileDataPrivilegedContributor">;
}

/** The Azure grants a set of app roles implies, without duplicates, in table order. */
export function impliedGrants(appRoles: readonly string[]): ImpliedGrant[] {
    const seen = new Set<string>();
    const grants: ImpliedGrant[] = [];
    for (const appRole of appRoles) {
        for (const grant of APP_ROLE_GRANTS[appRole] ?? []) {
            const key = `${grant.scope}|${grant.role}`;
            if (seen.has(key)) continue;
            seen.add(key);
            grants.push(grant);
        }
    }
    return grants;
}

/** Makes one implied grant through the grant method of the resource that owns the scope. */
export function applyGrant(targets: GrantTargets, grant: ImpliedGrant, principal: Principal): authorization.RoleAssignment {
    switch (grant.scope) {
        case "ml-workspace":
            return grant.role === "AzureML Data Scientist" ? targets.workspace.grantDataScientist(principal) : targets.workspace.grantComputeOperator(principal);
        case "ml-storage-account":
            switch (grant.role) {
                case "Storage Blob Data Reader":
                    return targets.storage.grantBlobDataReader(principal);
                case "Storage Blob Data Contributor":
                    return targets.storage.grantBlobDataContributor(principal);
                case "Storage File Data Privileged Contributor":
                    return targets.storage.grantFileDataPrivilegedContributor(principal);
            }
            break;
        case "features-container":
            return grant.role === "Storage Blob Data Reader"
                ? targets.storage.grantBlobDataReader(principal, { container: FEATURES_CONTAINER })
                : targets.storage.grantBlobDataContributor(principal, { container: FEATURES_CONTAINER });
    }
}
