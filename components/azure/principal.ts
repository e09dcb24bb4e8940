/**
 * Who receives a permission. One small type used by every `grant*` method (Azure RBAC) and by
 * the Entra app-role assignments, so an identity is described the same way everywhere, and the
 * one way each kind of managed identity (user-assigned, system-assigned) becomes one.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Entra ID object kinds that Azure RBAC accepts as `principalType`. */
export type PrincipalType = "ServicePrincipal" | "Group" | "User";

export interface Principal {
    /** Entra object ID (for a managed identity: its `principalId`, not its client ID). */
    principalId: pulumi.Input<string>;
    /**
     * Object kind. Always set: Azure refuses an assignment whose `principalType` differs from
     * the principal's real kind (and the SDK would otherwise default to `User`), and a known
     * kind skips the directory lookup that fails while a new identity replicates. For a
     * principal known only at deploy time (the deployer) pass the looked-up kind.
     */
    principalType: pulumi.Input<PrincipalType>;
    /**
     * Short, stable, kebab-case name of the principal (`aks-kubelet`, `caller-feature-api`).
     * It appears in resource names and role-assignment descriptions, so it must be unique
     * among the principals granted on the same resource.
     */
    name: string;
}

const PRINCIPAL_NAME = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

/** Fails early (at plan time) on a principal name that would make an unreadable resource name. */
export function checkPrincipalName(name: string): string {
    if (!PRINCIPAL_NAME.test(name)) throw new Error(`principal name '${name}' must be kebab-case (a-z, 0-9, '-'), at most 64 characters`);
    return name;
}

/** A user-assigned managed identity as components hand it on: grantee, login and ARM ID. */
export interface UserAssignedIdentityRef {
    /** The identity as a grantee (a service principal, by its principal ID). */
    principal: Principal;
    /** Client ID the identity's workloads log in with. */
    clientId: pulumi.Output<string>;
    /** ARM ID of the identity. */
    resourceId: pulumi.Output<string>;
}

/** A user-assigned managed identity, as a grantee named `name`. */
export function userAssignedIdentityRef(
    identity: { principalId: pulumi.Output<string>; clientId: pulumi.Output<string>; id: pulumi.Output<string> },
    name: string,
): UserAssignedIdentityRef {
    return { principal: { principalId: identity.principalId, principalType: "ServicePrincipal", name }, clientId: identity.clientId, resourceId: identity.id };
}

/**
 * The system-assigned identity of a resource, as a grantee named `name`. Its principal ID fails
 * with "`owner` reported no system identity" when the resource comes back without one.
 */
export function systemIdentityPrincipal(owner: string, identity: pulumi.Output<{ principalId?: string } | undefined>, name: string): Principal {
    return {
        principalId: identity.apply((reported) => {
            if (!reported?.principalId) throw new Error(`${owner} reported no system identity`);
            return reported.principalId;
        }),
        principalType: "ServicePrincipal",
        name,
    };
}

/** Maps a Microsoft Graph directory object type to the RBAC principal type; fails on anything else. */
export function principalTypeOf(directoryObjectType: string): PrincipalType {
    const type = (["ServicePrincipal", "Group", "User"] as const).find((candidate) => candidate.toLowerCase() === directoryObjectType.toLowerCase());
    if (!type) throw new Error(`directory object type '${directoryObjectType}' cannot hold Azure roles (expected User, Group or ServicePrincipal)`);
    return type;
}
