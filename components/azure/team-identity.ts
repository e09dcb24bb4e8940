/**
 * A team's managed identity: one user-assigned identity per team, federated with each of the
 * team's ServiceAccounts the platform config lists (`system:serviceaccount:<ns>:<sa>`, issuer =
 * the cluster's OIDC issuer). The platform owns the federation: a team cannot make its identity
 * trust another issuer or another namespace's ServiceAccount. Azure roles for the identity are
 * granted by whoever owns the target resource; it starts with none.
 */
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import type { AzureContext } from "./context";
import { checkPrincipalName, type Principal } from "./principal";
import { WORKLOAD_IDENTITY_AUDIENCE, type OidcIssuer } from "./workload-identity";

export interface TeamIdentityArgs {
    context: AzureContext;
    cluster: OidcIssuer;
    /** Azure name of the managed identity. */
    identityName: string;
    /** The team's ServiceAccounts that may sign in as the identity (at most 20, Azure's limit). */
    serviceAccounts: { namespace: string; serviceAccount: string }[];
}

export class TeamIdentity extends pulumi.ComponentResource {
    readonly identity: managedidentity.UserAssignedIdentity;
    readonly credentials: managedidentity.FederatedIdentityCredential[];
    readonly clientId: pulumi.Output<string>;
    readonly principalId: pulumi.Output<string>;
    readonly principal: Principal;
    /** The `sub` claims the identity trusts. */
    readonly subjects: string[];

    constructor(name: string, args: TeamIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:TeamIdentity", name, {}, opts);
        if (args.serviceAccounts.length > 20) throw new Error(`TeamIdentity ${name}: Azure allows at most 20 federated credentials per identity, got ${args.serviceAccounts.length}`);
        const { context } = args;
        this.identity = new managedidentity.UserAssignedIdentity(
            `${name}-identity`,
            { resourceGroupName: context.resourceGroupName, location: context.location, tags: context.tags, resourceName: args.identityName },
            { parent: this },
        );
        this.subjects = args.serviceAccounts.map((account) => `system:serviceaccount:${account.namespace}:${account.serviceAccount}`);
        // Azure refuses concurrent writes of federated credentials on one identity: chain them.
        let previous: pulumi.Resource | undefined;
        this.credentials = args.serviceAccounts.map((account, i) => {
            const credential = new managedidentity.FederatedIdentityCredential(
                `${name}-${account.namespace}-${account.serviceAccount}`,
                {
                    resourceGroupName: context.resourceGroupName,
                    resourceName: this.identity.name,
                    federatedIdentityCredentialResourceName: `${account.namespace}-${account.serviceAccount}`,
                    issuer: args.cluster.oidcIssuerUrl,
                    subject: this.subjects[i],
                    audiences: [WORKLOAD_IDENTITY_AUDIENCE],
                },
                { parent: this, ...(previous ? { dependsOn: [previous] } : {}) },
            );
            previous = credential;
            return credential;
        });
        this.clientId = this.identity.clientId;
        this.principalId = this.identity.principalId;
        this.principal = { principalId: this.identity.principalId, principalType: "ServicePrincipal", name: checkPrincipalName(name) };
        this.registerOutputs({ clientId: this.clientId, principalId: this.principalId, subjects: this.subjects });
    }
}
