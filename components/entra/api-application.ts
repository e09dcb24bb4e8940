/**
 * The platform API's Entra application: what callers request tokens for and what the edge
 * authorizer checks (`aud`, `roles`). App roles come from the access matrix with IDs derived
 * from their values (stable across deployments), tokens are v2, there is no implicit grant and
 * no credential of any kind. Its service principal requires app-role assignment, so only
 * assigned callers can get a token at all; assignments are made with `assignAppRole`.
 *
 * People need a delegated scope to get a user token at all, and a client that may ask for it:
 * the API exposes the configured scopes and pre-authorizes the configured clients (Azure CLI,
 * say) for them, so no consent prompt stands in the way. What a user may call is still decided
 * by the app roles in the token, which only assigned users and groups get.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { checkPrincipalName, type Principal } from "../azure/principal";
import { slug } from "../azure/roles";
import { uuidV5 } from "./uuid";

export interface AppRoleSpec {
    /** Shown to admins and in the consent experience. */
    description: string;
}

export interface ApiApplicationArgs {
    /** Display name in Entra ID. */
    displayName: string;
    /**
     * Application ID URI. Use a tenant-qualified form (`api://<tenantId>/<name>`): Entra's
     * identifier URI policy rejects bare `api://<name>` in new tenants.
     */
    identifierUri: string;
    /** Tenant the application lives in; the token issuer derives from it. */
    tenantId: string;
    /** App roles by value (the string that appears in the token's `roles` claim). */
    roles: Record<string, AppRoleSpec>;
    /** Object IDs of the owners (at least the deployer, so it can keep managing the app). */
    owners: pulumi.Input<string>[];
    /** Delegated scopes by value (the string in a user token's `scp` claim). */
    scopes?: Record<string, AppRoleSpec>;
    /** Client applications allowed to request the named scopes without a consent prompt. */
    preAuthorizedClients?: { name: string; clientId: string; scopes: string[] }[];
}

export interface ScopeInfo {
    value: string;
    id: string;
}

/** The stable ID of a delegated scope: a UUIDv5 of the application's identifier URI and the scope value. */
export function scopeId(identifierUri: string, value: string): string {
    return uuidV5(`scope:${identifierUri}:${value}`);
}

export interface AppRoleInfo {
    value: string;
    id: string;
    description: string;
}

/** The stable ID of an app role: a UUIDv5 of the application's identifier URI and the role value. */
export function appRoleId(identifierUri: string, value: string): string {
    return uuidV5(`app-role:${identifierUri}:${value}`);
}

export class ApiApplication extends pulumi.ComponentResource {
    readonly application: azuread.Application;
    readonly servicePrincipal: azuread.ServicePrincipal;
    /** Application (client) ID: the `aud` of v2 access tokens for this API. */
    readonly clientId: pulumi.Output<string>;
    readonly identifierUri: string;
    /** `https://login.microsoftonline.com/<tenant>/v2.0`: the `iss` of v2 access tokens. */
    readonly tokenIssuer: string;
    readonly appRoles: AppRoleInfo[];
    /** Delegated scopes the API exposes. */
    readonly scopes: ScopeInfo[];
    readonly servicePrincipalObjectId: pulumi.Output<string>;
    private readonly assignments = new Map<string, azuread.AppRoleAssignment>();
    private readonly componentName: string;

    constructor(name: string, args: ApiApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:entra:ApiApplication", name, {}, opts);
        this.componentName = name;
        this.identifierUri = args.identifierUri;
        this.tokenIssuer = `https://login.microsoftonline.com/${args.tenantId}/v2.0`;
        this.appRoles = Object.entries(args.roles).map(([value, spec]) => ({ value, id: appRoleId(args.identifierUri, value), description: spec.description }));
        const scopeSpecs = Object.entries(args.scopes ?? {});
        this.scopes = scopeSpecs.map(([value]) => ({ value, id: scopeId(args.identifierUri, value) }));
        for (const client of args.preAuthorizedClients ?? []) {
            const unknown = client.scopes.filter((scope) => !this.scopes.some((known) => known.value === scope));
            if (unknown.length > 0 || client.scopes.length === 0) {
                throw new Error(`ApiApplication ${name}: client ${client.name} must name scopes the API exposes; unknown: ${unknown.join(", ") || "(none named)"}`);
            }
        }

        this.application = new azuread.Application(
            `${name}-app`,
            {
                displayName: args.displayName,
                signInAudience: "AzureADMyOrg",
                identifierUris: [args.identifierUri],
                owners: args.owners,
                preventDuplicateNames: true,
                api: {
                    requestedAccessTokenVersion: 2,
                    oauth2PermissionScopes: scopeSpecs.map(([value, spec]) => ({
                        id: scopeId(args.identifierUri, value),
                        value,
                        type: "User",
                        enabled: true,
                        adminConsentDisplayName: value,
                        adminConsentDescription: spec.description,
                        userConsentDisplayName: value,
                        userConsentDescription: spec.description,
                    })),
                },
                appRoles: this.appRoles.map((role) => ({
                    id: role.id,
                    value: role.value,
                    displayName: role.value,
                    description: role.description,
                    // Users/groups (interactive callers) and applications (CI, services, AML jobs).
                    allowedMemberTypes: ["User", "Application"],
                    enabled: true,
                })),
                // No browser flows that put tokens in URLs.
                web: { implicitGrant: { accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false } },
                // Deliberately no `password`: the API never authenticates as itself.
            },
            { parent: this },
        );
        this.clientId = this.application.clientId;

        this.servicePrincipal = new azuread.ServicePrincipal(
            `${name}-sp`,
            {
                clientId: this.application.clientId,
                owners: args.owners,
                // Only principals with an app-role assignment can get a token for this API.
                appRoleAssignmentRequired: true,
            },
            { parent: this },
        );
        this.servicePrincipalObjectId = this.servicePrincipal.objectId;

        for (const client of args.preAuthorizedClients ?? []) {
            new azuread.ApplicationPreAuthorized(
                `${name}-preauthorized-${client.name}`,
                {
                    applicationId: this.application.id,
                    authorizedClientId: client.clientId,
                    permissionIds: client.scopes.map((scope) => scopeId(args.identifierUri, scope)),
                },
                { parent: this },
            );
        }

        this.registerOutputs({ clientId: this.clientId, identifierUri: this.identifierUri, appRoles: this.appRoles });
    }

    /** Assigns app role `role` to `principal` (a user, group or service principal / managed identity). */
    assignAppRole(principal: Principal, role: string): azuread.AppRoleAssignment {
        const appRole = this.appRoles.find((candidate) => candidate.value === role);
        if (!appRole) throw new Error(`ApiApplication ${this.componentName}: no app role '${role}' (defined: ${this.appRoles.map((r) => r.value).join(", ")})`);
        const key = `${slug(role)}-${checkPrincipalName(principal.name)}`;
        const existing = this.assignments.get(key);
        if (existing) return existing;
        const assignment = new azuread.AppRoleAssignment(
            `${this.componentName}-role-${key}`,
            { appRoleId: appRole.id, principalObjectId: principal.principalId, resourceObjectId: this.servicePrincipal.objectId },
            { parent: this },
        );
        this.assignments.set(key, assignment);
        return assignment;
    }
}
