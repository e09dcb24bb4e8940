import * as assert from "node:assert/strict";
import type * as authorization from "@pulumi/azure-native/authorization";
import type { Principal } from "../../../components/azure/principal";
import { BUILT_IN_ROLES } from "../../../components/azure/roles";
import { APP_ROLE_GRANTS, applyGrant, FEATURES_CONTAINER, impliedGrants, type GrantTargets } from "../../../components/entra/role-grants";

const PRIVILEGED = ["Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator"];

/** Grant targets that record which grant method was called with what. */
function recordingTargets() {
    const calls: string[] = [];
    const fake = {} as authorization.RoleAssignment;
    const record = (method: string) => (principal: Principal, options?: { container?: string }) => {
        calls.push(`${method}(${principal.name}${options?.container ? `, container=${options.container}` : ""})`);
        return fake;
    };
    const targets: GrantTargets = {
        workspace: { grantDataScientist: record("workspace.grantDataScientist"), grantComputeOperator: record("workspace.grantComputeOperator") },
        storage: { grantBlobDataReader: record("storage.grantBlobDataReader"), grantBlobDataContributor: record("storage.grantBlobDataContributor") },
    };
    return { targets, calls };
}

const someone: Principal = { principalId: "4b3a2918-0f7e-4d6c-9b5a-4f3e2d1c0b9a", principalType: "ServicePrincipal", name: "someone" };

describe("APP_ROLE_GRANTS (the role table)", () => {
    it("maps the platform's app roles to the agreed Azure roles and scopes", () => {
        assert.deepEqual(APP_ROLE_GRANTS["Model.Invoke"], []);
        assert.deepEqual(APP_ROLE_GRANTS["Model.Deploy"], [{ scope: "ml-workspace", role: "AzureML Data Scientist" }]);
        assert.deepEqual(APP_ROLE_GRANTS["Experiment.Run"], [
            { scope: "ml-workspace", role: "AzureML Data Scientist" },
            { scope: "ml-storage-account", role: "Storage Blob Data Contributor" },
        ]);
        assert.deepEqual(APP_ROLE_GRANTS["Features.Read"], [{ scope: "features-container", role: "Storage Blob Data Reader" }]);
    });

    it("names only data-plane built-in roles, never a privileged one", () => {
        for (const [appRole, grants] of Object.entries(APP_ROLE_GRANTS)) {
            for (const grant of grants) {
                assert.ok(grant.role in BUILT_IN_ROLES, `${appRole}: ${grant.role} is not a known built-in role`);
                assert.ok(!PRIVILEGED.includes(grant.role), `${appRole}: ${grant.role} is privileged`);
            }
        }
        for (const role of PRIVILEGED) assert.ok(!(role in BUILT_IN_ROLES), `${role} must not be grantable at all`);
    });

    it("implies nothing in Azure for a role without a row (edge-only)", () => {
        assert.deepEqual(impliedGrants(["Model.Invoke"]), []);
        assert.deepEqual(impliedGrants(["Reports.Read"]), []);
    });

    it("merges the grants of several roles without duplicates", () => {
        assert.deepEqual(impliedGrants(["Model.Deploy", "Experiment.Run", "Model.Invoke", "Features.Read"]), [
            { scope: "ml-workspace", role: "AzureML Data Scientist" },
            { scope: "ml-storage-account", role: "Storage Blob Data Contributor" },
            { scope: "features-container", role: "Storage Blob Data Reader" },
        ]);
    });

    it("makes every grant through the grant method of the resource that owns the scope", () => {
        const { targets, calls } = recordingTargets();
        for (const grant of impliedGrants(Object.keys(APP_ROLE_GRANTS))) applyGrant(targets, grant, someone);
        applyGrant(targets, { scope: "ml-workspace", role: "AzureML Compute Operator" }, someone);
        applyGrant(targets, { scope: "features-container", role: "Storage Blob Data Contributor" }, someone);
        applyGrant(targets, { scope: "ml-storage-account", role: "Storage Blob Data Reader" }, someone);
        assert.deepEqual(calls, [
            "workspace.grantDataScientist(someone)",
            "storage.grantBlobDataContributor(someone)",
            `storage.grantBlobDataReader(someone, container=${FEATURES_CONTAINER})`,
            "workspace.grantComputeOperator(someone)",
            `storage.grantBlobDataContributor(someone, container=${FEATURES_CONTAINER})`,
            "storage.grantBlobDataReader(someone)",
        ]);
    });
});
