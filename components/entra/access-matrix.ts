/**
 * The access matrix made real: for every caller, its identity, its app-role assignments on the
 * platform API (checked at the edge) and the Azure RBAC assignments those roles imply (from
 * `APP_ROLE_GRANTS`). Identities by kind:
 *
 * - workload: a workload identity for its (namespace, service account) on the AKS cluster;
 * - aml-job: the compute cluster's managed identity (what AML jobs run as);
 * - ci-pipeline / external-app: an app registration with a federated credential (no secret);
 * - group: the existing Entra group.
 */
import type * as authorization from "@pulumi/azure-native/authorization";
import type * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { Principal } from "../azure/principal";
import type { WorkloadIdentity } from "../azure/workload-identity";
import type { ApiApplication } from "./api-application";
import { FederatedApplication } from "./federated-application";
import { applyGrant, impliedGrants, type GrantTargets } from "./role-grants";

/** One caller of the access matrix (the shape of the stack config's `access.callers`). */
export type AccessCaller = { name: string; roles: string[] } & (
    | { kind: "workload"; namespace: string; serviceAccount: string }
    | { kind: "aml-job" }
    | { kind: "ci-pipeline" | "external-app"; federation: { issuer: string; subject: string } }
    | { kind: "group"; objectId: string }
);

/** Creates a workload identity bound to the platform cluster. */
export type WorkloadIdentityFactory = (
    name: string,
    /** `principalName`: the identity's name in role-assignment names (`WorkloadIdentityArgs.principalName`). */
    binding: { namespace: string; serviceAccount: string; principalName?: string },
    opts?: pulumi.ComponentResourceOptions,
) => WorkloadIdentity;

export interface AccessMatrixArgs {
    callers: AccessCaller[];
    /** The API whose app roles are assigned. */
    api: ApiApplication;
    /** Owners of the scopes the role table names. */
    grantTargets: GrantTargets;
    /** Workload identities for `workload` callers. */
    workloadIdentity: WorkloadIdentityFactory;
    /** The identity AML jobs run as (the compute cluster's), for the `aml-job` caller. */
    amlJobIdentity: { principal: Principal; clientId: pulumi.Output<string> };
    /** Prefix of the display names of created app registrations (`aml-prod`). */
    displayNamePrefix: string;
    /** Owners of created app registrations. */
    owners: pulumi.Input<string>[];
}

export interface CallerAccess {
    name: string;
    kind: AccessCaller["kind"];
    roles: string[];
    principal: Principal;
    /** Client ID to log in with (app registrations and managed identities). */
    clientId?: pulumi.Output<string>;
    /** For `workload` callers: what the Kubernetes side needs. */
    workload?: WorkloadIdentity;
    application?: FederatedApplication;
    appRoleAssignments: azuread.AppRoleAssignment[];
    roleAssignments: authorization.RoleAssignment[];
}

export class AccessMatrix extends pulumi.ComponentResource {
    readonly callers: CallerAccess[];

    constructor(name: string, args: AccessMatrixArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:entra:AccessMatrix", name, {}, opts);
        this.callers = args.callers.map((caller) => {
            const identity = this.identityOf(name, caller, args);
            const appRoleAssignments = caller.roles.map((role) => args.api.assignAppRole(identity.principal, role));
            const roleAssignments = impliedGrants(caller.roles).map((grant) => applyGrant(args.grantTargets, grant, identity.principal));
            return { name: caller.name, kind: caller.kind, roles: [...caller.roles], ...identity, appRoleAssignments, roleAssignments };
        });
        this.registerOutputs({ callers: this.callers.map((caller) => ({ name: caller.name, kind: caller.kind, clientId: caller.clientId })) });
    }

    private identityOf(name: string, caller: AccessCaller, args: AccessMatrixArgs): Pick<CallerAccess, "principal" | "clientId" | "workload" | "application"> {
        const principalName = `caller-${caller.name}`;
        switch (caller.kind) {
            case "workload": {
                const workload = args.workloadIdentity(
                    `${name}-${caller.name}`,
                    { namespace: caller.namespace, serviceAccount: caller.serviceAccount, principalName },
                    { parent: this },
                );
                return { principal: workload.principal, clientId: workload.clientId, workload };
            }
            case "aml-job":
                // Jobs share the compute cluster's identity; keep its name so grants made to it as
                // infrastructure and as a caller land on one key per resource.
                return { principal: args.amlJobIdentity.principal, clientId: args.amlJobIdentity.clientId };
            case "ci-pipeline":
            case "external-app": {
                const application = new FederatedApplication(
                    `${name}-${caller.name}`,
                    { displayName: `${args.displayNamePrefix}-${caller.name}`, federation: caller.federation, owners: args.owners, principalName },
                    { parent: this },
                );
                return { principal: application.principal, clientId: application.clientId, application };
            }
            case "group":
                return { principal: { principalId: caller.objectId, principalType: "Group", name: principalName } };
        }
    }
}
