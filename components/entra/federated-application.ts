/**
 * An Entra application for a caller outside the platform (a CI pipeline, a partner's
 * workload) that proves its identity with its own OIDC tokens: a federated identity credential
 * trusts exactly one issuer and subject. No client secret or certificate exists.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { checkPrincipalName, type Principal } from "../azure/principal";
import { WORKLOAD_IDENTITY_AUDIENCE as ENTRA_FEDERATION_AUDIENCE } from "../azure/workload-identity";

/** Audience Entra expects in the external token exchanged for an Entra token (one for every federated credential). */
export { ENTRA_FEDERATION_AUDIENCE };

export interface FederatedApplicationArgs {
    displayName: string;
    /** The external identity that may act as this application. */
    federation: {
        /** OIDC issuer of the external tokens (`https://token.actions.githubusercontent.com`). */
        issuer: string;
        /** Exact `sub` claim (`repo:contoso/models:environment:prod`). */
        subject: string;
    };
    /** Object IDs of the owners. */
    owners: pulumi.Input<string>[];
    /** Name of the principal in role-assignment names; defaults to the component name. */
    principalName?: string;
}

export class FederatedApplication extends pulumi.ComponentResource {
    readonly application: azuread.Application;
    readonly servicePrincipal: azuread.ServicePrincipal;
    readonly credential: azuread.ApplicationFederatedIdentityCredential;
    /** Client ID the external workload logs in with (not a secret). */
    readonly clientId: pulumi.Output<string>;
    readonly principal: Principal;

    constructor(name: string, args: FederatedApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:entra:FederatedApplication", name, {}, opts);
        this.application = new azuread.Application(
            `${name}-app`,
            {
                displayName: args.displayName,
                signInAudience: "AzureADMyOrg",
                owners: args.owners,
                preventDuplicateNames: true,
                web: { implicitGrant: { accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false } },
            },
            { parent: this },
        );
        this.clientId = this.application.clientId;
        this.servicePrincipal = new azuread.ServicePrincipal(`${name}-sp`, { clientId: this.application.clientId, owners: args.owners }, { parent: this });
        this.credential = new azuread.ApplicationFederatedIdentityCredential(
            `${name}-federation`,
            {
                applicationId: this.application.id,
                displayName: name,
                description: `Tokens issued by ${args.federation.issuer} for ${args.federation.subject}`,
                issuer: args.federation.issuer,
                subject: args.federation.subject,
                audiences: [ENTRA_FEDERATION_AUDIENCE],
            },
            { parent: this.application },
        );
        this.principal = { principalId: this.servicePrincipal.objectId, principalType: "ServicePrincipal", name: checkPrincipalName(args.principalName ?? name) };
        this.registerOutputs({ clientId: this.clientId, principalId: this.servicePrincipal.objectId });
    }
}
