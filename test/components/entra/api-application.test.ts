import * as assert from "node:assert/strict";
import { ApiApplication, appRoleId } from "../../../components/entra/api-application";
import { outputValue, runComponents, TEST_TENANT_ID, type PlannedStack } from "../../harness";

const IDENTIFIER_URI = `api://${TEST_TENANT_ID}/aml-test-platform`;
const OWNER = "2f1e0d9c-8b7a-4695-a4b3-c2d1e0f9a8b7";
const ROLES = {
    "Model.Invoke": { description: "Call published model endpoints through the edge." },
    "Features.Read": { description: "Read curated feature data." },
};

function api(roles: Record<string, { description: string }> = ROLES) {
    return new ApiApplication("api", { displayName: "aml-test-platform-api", identifierUri: IDENTIFIER_URI, tenantId: TEST_TENANT_ID, roles, owners: [OWNER] });
}

describe("ApiApplication", () => {
    let stack: PlannedStack;
    let built: ApiApplication;
    before(async () => {
        stack = await runComponents(() => {
            built = api();
            const service = { principalId: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", principalType: "ServicePrincipal" as const, name: "feature-api" };
            built.assignAppRole(service, "Features.Read");
            built.assignAppRole(service, "Features.Read");
        });
    });
    const app = () => stack.one("azuread:index/application:Application");

    it("is a single-tenant API with a tenant-qualified identifier URI and v2 access tokens", () => {
        assert.equal(app().input("signInAudience"), "AzureADMyOrg");
        assert.deepEqual(app().input("identifierUris"), [IDENTIFIER_URI]);
        assert.equal(app().input("api.requestedAccessTokenVersion"), 2);
        assert.deepEqual(app().input("owners"), [OWNER]);
        assert.equal(built.tokenIssuer, `https://login.microsoftonline.com/${TEST_TENANT_ID}/v2.0`);
    });

    it("has no implicit grant and no credential", () => {
        assert.deepEqual(app().input("web.implicitGrant"), { accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false });
        assert.equal(app().input("password"), undefined);
        assert.deepEqual(stack.resources.filter((r) => /Password|Certificate/.test(r.type)), []);
    });

    it("defines the configured app roles with IDs derived from the role values", () => {
        const roles = app().input("appRoles") as { id: string; value: string; description: string; allowedMemberTypes: string[]; enabled: boolean }[];
        assert.deepEqual(roles.map((r) => r.value), ["Model.Invoke", "Features.Read"]);
        for (const role of roles) {
            assert.equal(role.id, appRoleId(IDENTIFIER_URI, role.value));
            assert.match(role.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
            assert.deepEqual(role.allowedMemberTypes, ["User", "Application"]);
            assert.equal(role.enabled, true);
        }
        assert.equal(roles[1].description, "Read curated feature data.");
    });

    it("keeps a role's ID when other roles come and go (Entra refuses to change an enabled role's ID)", async () => {
        const more = await runComponents(() => api({ "Features.Read": ROLES["Features.Read"], "Reports.Read": { description: "Read reports." } }));
        const roles = more.one("azuread:index/application:Application").input("appRoles") as { id: string; value: string }[];
        const before = (app().input("appRoles") as { id: string; value: string }[]).find((r) => r.value === "Features.Read")!;
        assert.equal(roles.find((r) => r.value === "Features.Read")!.id, before.id);
        assert.notEqual(appRoleId(IDENTIFIER_URI, "Features.Read"), appRoleId(`api://${TEST_TENANT_ID}/other-platform`, "Features.Read"));
    });

    it("has a service principal that requires app-role assignment", () => {
        const sp = stack.one("azuread:index/servicePrincipal:ServicePrincipal");
        assert.equal(sp.input("appRoleAssignmentRequired"), true);
        assert.ok(sp.inputSources("clientId").includes(app().urn));
    });

    it("assigns an app role once, to the principal's object ID, on the API's service principal", async () => {
        const assignment = stack.one("azuread:index/appRoleAssignment:AppRoleAssignment");
        assert.equal(assignment.input("appRoleId"), appRoleId(IDENTIFIER_URI, "Features.Read"));
        assert.equal(assignment.input("principalObjectId"), "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
        assert.equal(assignment.input("resourceObjectId"), await outputValue(built.servicePrincipalObjectId));
    });

    it("refuses to assign a role the API does not define", async () => {
        await assert.rejects(
            runComponents(() => api().assignAppRole({ principalId: "x", principalType: "User", name: "someone" }, "Admin.All")),
            /no app role 'Admin.All'/,
        );
    });
});
