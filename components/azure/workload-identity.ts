/**
 * AKS workload identity for one (cluster, namespace, service account): a user-assigned managed
 * identity and the federated credential that lets pods running as that ServiceAccount exchange
 * their projected token for an Entra token. No secret exists anywhere in the chain.
 *
 * This component creates no Kubernetes objects: the mesh side creates the ServiceAccount
 * (`WorkloadServiceAccount`, annotated with the client ID), and pods opt in with the
 * `azure.workload.identity/use` label. `workloadIdentityAnnotations` and `podLabels` spell out
 * what both need.
 */
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import type { AzureContext } from "./context";
import { checkPrincipalName, type Principal } from "./principal";

import { USE_LABEL, WORKLOAD_IDENTITY_AUDIENCE } from "@amlmesh/team-sdk/kit/azure/workload-identity-labels";

// The Kubernetes-side names live in the kit, which the team SDK shares with the platform.
export { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION, USE_LABEL, WORKLOAD_IDENTITY_AUDIENCE, workloadIdentityAnnotations } from "@amlmesh/team-sdk/kit/azure/workload-identity-labels";

/** The cluster side of the trust: its OIDC issuer. */
export interface OidcIssuer {
    /** The cluster's OIDC issuer URL (`https://<region>.oic.prod-aks.azure.com/<tenant>/<guid>/`). */
    oidcIssuerUrl: pulumi.Input<string>;
}

export interface WorkloadIdentityArgs {
    context: AzureContext;
    cluster: OidcIssuer;
    /** Kubernetes namespace of the ServiceAccount. */
    namespace: string;
    /** ServiceAccount name. */
    serviceAccount: string;
    /** Azure name of the managed identity. */
    identityName: string;
    /** Name used for this identity in role-assignment names; defaults to the component name. */
    principalName?: string;
}

export class WorkloadIdentity extends pulumi.ComponentResource {
    readonly identity: managedidentity.UserAssignedIdentity;
    readonly credential: managedidentity.FederatedIdentityCredential;
    readonly namespace: string;
    readonly serviceAccount: string;
    /** `system:serviceaccount:<namespace>:<serviceAccount>` */
    readonly subject: string;
    readonly identityId: pulumi.Output<string>;
    readonly clientId: pulumi.Output<string>;
    readonly principalId: pulumi.Output<string>;
    /** The identity as a grantee of Azure roles and app roles. */
    readonly principal: Principal;
    /** Labels the pods must carry. */
    readonly podLabels: Record<string, string>;

    constructor(name: string, args: WorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:WorkloadIdentity", name, {}, opts);
        const { context } = args;
        this.namespace = args.namespace;
        this.serviceAccount = args.serviceAccount;
        this.subject = `system:serviceaccount:${args.namespace}:${args.serviceAccount}`;

        this.identity = new managedidentity.UserAssignedIdentity(
            `${name}-identity`,
            { resourceGroupName: context.resourceGroupName, location: context.location, tags: context.tags, resourceName: args.identityName },
            { parent: this },
        );
        this.credential = new managedidentity.FederatedIdentityCredential(
            `${name}-federation`,
            {
                resourceGroupName: context.resourceGroupName,
                resourceName: this.identity.name,
                federatedIdentityCredentialResourceName: `${args.namespace}-${args.serviceAccount}`,
                issuer: args.cluster.oidcIssuerUrl,
                subject: this.subject,
                audiences: [WORKLOAD_IDENTITY_AUDIENCE],
            },
            // A child of the component, not of the identity: `dependsOn` a component reaches its
            // component children's resources, but never the children of a custom resource, so
            // pods waiting for this component would otherwise not wait for the federation.
            // The alias keeps stacks created with the old parent from replacing the credential.
            { parent: this, aliases: [{ parent: this.identity }] },
        );

        this.identityId = this.identity.id;
        this.clientId = this.identity.clientId;
        this.principalId = this.identity.principalId;
        this.principal = { principalId: this.identity.principalId, principalType: "ServicePrincipal", name: checkPrincipalName(args.principalName ?? name) };
        this.podLabels = { [USE_LABEL]: "true" };

        this.registerOutputs({ clientId: this.clientId, principalId: this.principalId, subject: this.subject });
    }
}
