/**
 * The one way the platform creates Azure RBAC role assignments. Each component that owns a
 * permission keeps a `RoleGrants` and exposes `grant*` methods built on it, so an assignment
 * always sits under (and is scoped by) the resource it grants access to.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import type { AzureContext } from "./context";
import { checkPrincipalName, type Principal } from "./principal";
import { customRoleGuid, roleDefinitionId, slug, type BuiltInRoleName, type CustomRoleName } from "./roles";

export interface GrantOptions {
    /** Distinguishes grants of the same role to the same principal at different scopes (`secret-edge-tls`). */
    qualifier?: string;
    /** What the scope is, for the assignment's description (`Key Vault kv-aml-prd-1a2b3c`). */
    scopeLabel?: string;
    /** Resources the assignment must wait for besides its scope (rarely needed). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class RoleGrants {
    private readonly made = new Map<string, authorization.RoleAssignment>();
    private readonly definitionIds = new Map<BuiltInRoleName, pulumi.Output<string>>();

    /**
     * @param owner the component whose resource is the scope; assignments are its children
     * @param ownerName the component's name; assignment names start with it
     */
    constructor(
        private readonly owner: pulumi.ComponentResource,
        private readonly ownerName: string,
        private readonly context: Pick<AzureContext, "subscriptionId">,
    ) {}

    /**
     * Assigns `role` to `principal` at `scope`. Granting the same role to the same principal
     * (same qualifier) twice returns the first assignment: Azure refuses duplicates, and two
     * app roles that imply the same Azure role must not produce two assignments.
     */
    grant(role: BuiltInRoleName, principal: Principal, scope: pulumi.Input<string>, options: GrantOptions = {}): authorization.RoleAssignment {
        return this.assign(role, this.definitionId(role), principal, scope, options);
    }

    /**
     * Assigns one of the platform's custom roles (CUSTOM_ROLES). The definition is not made here:
     * the bootstrap's owner phase defines it in the stack's resource group under its stable GUID
     * (`customRoleGuid`), and the preflight checks it. The deployer may assign roles but, on
     * purpose, may not define them: a role it could write, it could widen and assign to itself.
     */
    grantCustom(role: CustomRoleName, resourceGroupId: pulumi.Input<string>, principal: Principal, scope: pulumi.Input<string>, options: GrantOptions = {}): authorization.RoleAssignment {
        const guid = pulumi.output(resourceGroupId).apply((group) => customRoleGuid(role, group));
        const id = pulumi.interpolate`/subscriptions/${this.context.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
        return this.assign(role, id, principal, scope, options);
    }

    private assign(role: string, definitionId: pulumi.Input<string>, principal: Principal, scope: pulumi.Input<string>, options: GrantOptions): authorization.RoleAssignment {
        const key = [slug(role), options.qualifier, checkPrincipalName(principal.name)].filter(Boolean).join("-");
        const existing = this.made.get(key);
        if (existing) return existing;
        const assignment = new authorization.RoleAssignment(
            `${this.ownerName}-${key}`,
            {
                principalId: principal.principalId,
                principalType: principal.principalType,
                roleDefinitionId: definitionId,
                scope,
                description: `amlmesh: ${role} for ${principal.name}${options.scopeLabel ? ` on ${options.scopeLabel}` : ""}`,
            },
            { parent: this.owner, dependsOn: options.dependsOn },
        );
        this.made.set(key, assignment);
        return assignment;
    }

    private definitionId(role: BuiltInRoleName): pulumi.Output<string> {
        let id = this.definitionIds.get(role);
        if (!id) {
            id = pulumi.output(this.context.subscriptionId).apply((subscription) => roleDefinitionId(subscription, role));
            this.definitionIds.set(role, id);
        }
        return id;
    }
}
