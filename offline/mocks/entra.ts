/**
 * Mock outputs for `azuread` resources: object IDs and client IDs as deterministic GUIDs, and
 * the app-role ID maps the program uses to assign roles.
 */
import { deterministicUuid, OFFLINE_DEPLOYER_OBJECT_ID } from "./identifiers";
import type { ResourceMock } from "./types";

interface AppRoleInput {
    value?: string;
    id?: string;
}

/** Maps role value → role ID, as the provider's `appRoleIds` output does. */
function appRoleIds(roles: unknown): Record<string, string> {
    const ids: Record<string, string> = {};
    for (const role of (Array.isArray(roles) ? roles : []) as AppRoleInput[]) {
        if (role.value) ids[role.value] = role.id ?? deterministicUuid(`app-role:${role.value}`);
    }
    return ids;
}

export const azureAdMock: ResourceMock = (args, ctx) => {
    const seed = `${args.type}:${args.name}`;
    const objectId = deterministicUuid(`object:${seed}`);
    switch (args.type) {
        case "azuread:index/application:Application": {
            const clientId = deterministicUuid(`client:${seed}`);
            return {
                id: `/applications/${objectId}`,
                state: { ...args.inputs, objectId, clientId, appRoleIds: appRoleIds(args.inputs.appRoles), disabledByMicrosoft: "<nil>" },
            };
        }
        case "azuread:index/servicePrincipal:ServicePrincipal":
            return {
                id: `/servicePrincipals/${objectId}`,
                state: { ...args.inputs, objectId, applicationTenantId: ctx.tenantId, type: "Application" },
            };
        case "azuread:index/appRoleAssignment:AppRoleAssignment":
            return { id: `/servicePrincipals/${String(args.inputs.resourceObjectId)}/appRoleAssignedTo/${objectId}`, state: { ...args.inputs } };
        case "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential":
            return { id: `${String(args.inputs.applicationId)}/federatedIdentityCredential/${objectId}`, state: { ...args.inputs, credentialId: objectId } };
        default:
            return { id: `/${args.type.split(":").pop()}/${objectId}`, state: { ...args.inputs, objectId } };
    }
};

/** `azuread` functions the program calls. */
export function azureAdCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
    switch (token) {
        case "azuread:index/getDirectoryObject:getDirectoryObject": {
            // The offline deployer is a CI service principal (what deploys staging and prod);
            // any other object ID is treated as a user.
            const objectId = String(inputs.objectId);
            return { id: objectId, objectId, type: objectId === OFFLINE_DEPLOYER_OBJECT_ID ? "ServicePrincipal" : "User" };
        }
        default:
            return undefined;
    }
}
