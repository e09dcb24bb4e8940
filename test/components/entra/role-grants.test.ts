import * as assert from "node:assert/strict";
import type { Principal } from "../../../components/azure/principal";
import { BUILT_IN_ROLES } from "../../../components/azure/roles";
import { APP_ROLE_GRANTS, applyGrant, FEATURES_CONTAINER, impliedGrants } from "../../../components/entra/role-grants";
import { recordingTargets } from "./fixtures";

const PRIVILEGED = ["Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator"];

const someone: Principal = { principalId: "4b3a2918-0f7e-4d6c-9b5a-4f3e2d1c0b9a", principalType: "ServicePrincipal", name: "someone" };

describe("APP_ROLE_GRANTS (the role table)", () => {
    it("maps the platform's app roles to the agreed Azure roles and scopes", () => {
        assert.deepEqual(APP_ROLE_GRANTS["Model.Invoke"], []);
        assert.deepEqual(APP_ROLE_GRANTS["Model.Deploy"], [{ scope: "ml-workspace", role: "AzureML Data Scientist" }]);
        assert.deepEqual(APP_ROLE_GRANTS["Experiment.Run"], [
            { scope: "ml-workspace", role: "AzureML Data Scientist" },
            { scope: "ml-storage-account", role: "Storage Blob Data Contributor" },
            { scope: "ml-storage-account", role: "Storage File Data Privileged Contributor" },
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
            { scope: "ml-storage-account", role: "Storage File Data Privileged Contributor" },
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
            "storage.grantFileDataPrivilegedContributor(someone)",
            `storage.grantBlobDataReader(someone, container=${FEATURES_CONTAINER})`,
            "workspace.grantComputeOperator(someone)",
            `storage.grantBlobDataContributor(someone, container=${FEATURES_CONTAINER})`,
            "storage.grantBlobDataReader(someone)",
        ]);
    });
});
