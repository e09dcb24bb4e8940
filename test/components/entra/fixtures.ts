/** Shared set-up for the Entra component specs. */
import type * as authorization from "@pulumi/azure-native/authorization";
import type { Principal } from "../../../components/azure/principal";
import type { GrantTargets } from "../../../components/entra/role-grants";

/** A grant method of the scope owners, as `<owner>.<method>`. */
export type GrantMethod = {
    [Owner in keyof GrantTargets]: `${Owner}.${Extract<keyof GrantTargets[Owner], string>}`;
}[keyof GrantTargets];

/** `workspace.grantDataScientist(someone)`, `storage.grantBlobDataReader(someone, container=features)` */
function asCall(method: GrantMethod, principal: Principal, container?: string): string {
    return `${method}(${principal.name}${container ? `, container=${container}` : ""})`;
}

/**
 * Grant targets that record which grant method was called with what, one line per call as
 * `describe` phrases it, and return a stand-in assignment.
 */
export function recordingTargets(describe: (method: GrantMethod, principal: Principal, container?: string) => string = asCall): { targets: GrantTargets; calls: string[] } {
    const calls: string[] = [];
    const fake = {} as authorization.RoleAssignment;
    const record = (method: GrantMethod) => (principal: Principal, options?: { container?: string }) => {
        calls.push(describe(method, principal, options?.container));
        return fake;
    };
    const targets: GrantTargets = {
        workspace: { grantDataScientist: record("workspace.grantDataScientist"), grantComputeOperator: record("workspace.grantComputeOperator") },
        storage: {
            grantBlobDataReader: record("storage.grantBlobDataReader"),
            grantBlobDataContributor: record("storage.grantBlobDataContributor"),
            grantFileDataPrivilegedContributor: record("storage.grantFileDataPrivilegedContributor"),
        },
    };
    return { targets, calls };
}
