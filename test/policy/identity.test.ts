import * as assert from "node:assert/strict";
import { assertPasses, assertUndecidedInPreview, assertViolates, check, notApplicableReason, resource, secret, UNKNOWN, urnOf, violationsOf } from "./helpers";
import { cluster, RESOURCE_GROUP_ID, ROLE, SUBSCRIPTION, T } from "./fixtures";

describe("policy: identity", () => {
    describe("AKS clusters", () => {
        it("pass with Entra ID + Azure RBAC, no local accounts, workload identity and a managed identity", async () => {
            const good = cluster();
            const report = await check([good]);
            for (const policy of ["aks-entra-id-azure-rbac", "aks-local-accounts-disabled", "aks-workload-identity", "aks-managed-identity"]) {
                assertPasses(report, policy, good.urn);
            }
        });

        it("aks-entra-id-azure-rbac: flags a cluster without managed Entra integration or Azure RBAC", async () => {
            const bad = cluster("legacy", { aadProfile: { managed: false, tenantID: "t" } });
            const report = await check([bad]);
            assertViolates(report, "aks-entra-id-azure-rbac", bad.urn, /aadProfile\.managed/);
            assertViolates(report, "aks-entra-id-azure-rbac", bad.urn, /enableAzureRBAC/);
        });

        it("aks-local-accounts-disabled: flags a cluster that keeps local accounts", async () => {
            const bad = cluster("local", { disableLocalAccounts: false });
            assertViolates(await check([bad]), "aks-local-accounts-disabled", bad.urn, /disableLocalAccounts/);
        });

        it("aks-workload-identity: flags a cluster without the OIDC issuer or workload identity", async () => {
            const bad = cluster("no-wi", { oidcIssuerProfile: { enabled: false }, securityProfile: {} });
            const report = await check([bad]);
            assertViolates(report, "aks-workload-identity", bad.urn, /oidcIssuerProfile/);
            assertViolates(report, "aks-workload-identity", bad.urn, /workloadIdentity/);
        });

        it("aks-managed-identity: flags a service principal with a secret", async () => {
            const bad = cluster("sp", { identity: undefined, servicePrincipalProfile: { clientId: "c0ffee00-0000-4000-8000-000000000000", secret: secret("s3cr3t-value") } });
            const report = await check([bad]);
            assertViolates(report, "aks-managed-identity", bad.urn, /identity\.type is not set/);
            assertViolates(report, "aks-managed-identity", bad.urn, /servicePrincipalProfile/);
        });

        it("is undecided during preview when a checked value is unknown (the engine's advisory note)", async () => {
            const previewed = cluster("preview", { disableLocalAccounts: UNKNOWN });
            const report = await check([previewed]);
            assertUndecidedInPreview(report, "aks-local-accounts-disabled", previewed.urn);
            assertPasses(report, "aks-workload-identity", previewed.urn);
        });
    });

    describe("app registrations", () => {
        const api = resource(T.application, "api", {
            displayName: "amlmesh-api",
            identifierUris: ["api://amlmesh-prod"],
            appRoles: [{ id: "6f1c0000-0000-4000-8000-000000000001", value: "Model.Invoke", displayName: "Invoke", description: "Call models", allowedMemberTypes: ["Application"], enabled: true }],
            web: { implicitGrant: { accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false } },
        });

        it("entra-no-password-credentials: flags password resources and inline passwords; passes a clean app", async () => {
            const withPassword = resource(T.application, "client", { displayName: "client", password: { displayName: "ci" } });
            const appPassword = resource(T.applicationPassword, "client-secret", { applicationId: "/applications/1" });
            const spPassword = resource(T.servicePrincipalPassword, "sp-secret", { servicePrincipalId: "/servicePrincipals/1" });
            const report = await check([api, withPassword, appPassword, spPassword]);
            assertPasses(report, "entra-no-password-credentials", api.urn);
            assertViolates(report, "entra-no-password-credentials", withPassword.urn, /password credential/);
            assertViolates(report, "entra-no-password-credentials", appPassword.urn, /ApplicationPassword creates a client secret/);
            assertViolates(report, "entra-no-password-credentials", spPassword.urn, /ServicePrincipalPassword/);
        });

        it("entra-no-implicit-grant: flags access or ID token issuance through the implicit flow", async () => {
            const spa = resource(T.application, "spa", { displayName: "spa", web: { implicitGrant: { accessTokenIssuanceEnabled: true, idTokenIssuanceEnabled: true } } });
            const report = await check([api, spa]);
            assertPasses(report, "entra-no-implicit-grant", api.urn);
            assert.equal(violationsOf(report, "entra-no-implicit-grant", spa.urn).length, 2);
        });

        it("entra-api-app-role-assignment-required: follows clientId to the application that defines app roles", async () => {
            const openSp = resource(T.servicePrincipal, "api-sp", { clientId: UNKNOWN, appRoleAssignmentRequired: false }, { propertyDependencies: { clientId: [api.urn] } });
            const client = resource(T.application, "client", { displayName: "client" });
            const clientSp = resource(T.servicePrincipal, "client-sp", { clientId: UNKNOWN }, { propertyDependencies: { clientId: [client.urn] } });
            const report = await check([api, client, openSp, clientSp]);
            assertViolates(report, "entra-api-app-role-assignment-required", openSp.urn, /appRoleAssignmentRequired/);
            assert.deepEqual(violationsOf(report, "entra-api-app-role-assignment-required", clientSp.urn), []);

            const closedSp = resource(T.servicePrincipal, "api-sp", { clientId: UNKNOWN, appRoleAssignmentRequired: true }, { propertyDependencies: { clientId: [api.urn] } });
            assert.deepEqual(violationsOf(await check([api, closedSp]), "entra-api-app-role-assignment-required"), []);
        });

        it("entra-api-app-role-assignment-required: links by a known clientId too (stack exports)", async () => {
            const exported = resource(T.application, "api", { displayName: "api", clientId: "a1b2c3d4-0000-4000-8000-00000000000a", appRoles: [{ id: "1", value: "Model.Invoke" }] });
            const sp = resource(T.servicePrincipal, "api-sp", { clientId: "A1B2C3D4-0000-4000-8000-00000000000A" });
            assertViolates(await check([exported, sp]), "entra-api-app-role-assignment-required", sp.urn);
        });

        it("entra-api-app-role-assignment-required: fails closed when the application's appRoles are unknown during preview", async () => {
            const previewed = resource(T.application, "api", { displayName: "api", appRoles: UNKNOWN });
            const sp = resource(T.servicePrincipal, "api-sp", { clientId: UNKNOWN, appRoleAssignmentRequired: false }, { propertyDependencies: { clientId: [previewed.urn] } });
            assertViolates(await check([previewed, sp]), "entra-api-app-role-assignment-required", sp.urn, /appRoleAssignmentRequired/);
            const closedSp = resource(T.servicePrincipal, "api-sp", { clientId: UNKNOWN, appRoleAssignmentRequired: true }, { propertyDependencies: { clientId: [previewed.urn] } });
            assert.deepEqual(violationsOf(await check([previewed, closedSp]), "entra-api-app-role-assignment-required"), []);
        });

        it("entra-api-app-role-assignment-required: is not applicable without service principals", async () => {
            const report = await check([api]);
            assert.match(notApplicableReason(report, "entra-api-app-role-assignment-required", "urn:pulumi:prod::amlmesh::pulumi:pulumi:Stack::amlmesh-prod") ?? "", /No service principals/);
        });
    });

    describe("role assignments", () => {
        const vaultUrn = urnOf(T.vault, "kv");
        const narrow = resource(T.roleAssignment, "kv-reader", {
            principalId: "p1",
            principalType: "ServicePrincipal",
            roleDefinitionId: ROLE.keyVaultSecretsUser,
            scope: `${RESOURCE_GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv-aml-prod`,
        });

        it("azure-no-privileged-role-at-broad-scope: flags Owner at subscription and Contributor at resource group; passes narrow grants", async () => {
            const owner = resource(T.roleAssignment, "owner", { principalId: "p2", roleDefinitionId: ROLE.owner, scope: SUBSCRIPTION });
            const contributor = resource(T.roleAssignment, "contrib", { principalId: "p3", roleDefinitionId: ROLE.contributor, scope: `${RESOURCE_GROUP_ID}/` });
            const ownerOnVault = resource(T.roleAssignment, "owner-kv", { principalId: "p4", roleDefinitionId: ROLE.owner, scope: `${RESOURCE_GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv` });
            const report = await check([narrow, owner, contributor, ownerOnVault], "dev");
            assertPasses(report, "azure-no-privileged-role-at-broad-scope", narrow.urn);
            assertPasses(report, "azure-no-privileged-role-at-broad-scope", ownerOnVault.urn);
            const [violation] = assertViolates(report, "azure-no-privileged-role-at-broad-scope", owner.urn, /Owner at a subscription scope/);
            assert.equal(violation.level, "mandatory", "never slips, not even in dev");
            assert.equal(violation.severity, "critical");
            assertViolates(report, "azure-no-privileged-role-at-broad-scope", contributor.urn, /Contributor at a resource group scope/);
        });

        it("azure-no-privileged-role-at-inferred-scope: an unknown scope computed only from a resource group counts as that resource group", async () => {
            const rgUrn = urnOf(T.resourceGroup, "rg");
            const rg = resource(T.resourceGroup, "rg", { location: "westeurope" });
            const viaGroup = resource(T.roleAssignment, "owner-rg", { principalId: "p", roleDefinitionId: ROLE.owner, scope: UNKNOWN }, { propertyDependencies: { scope: [rgUrn] } });
            const viaVault = resource(T.roleAssignment, "owner-kv", { principalId: "p", roleDefinitionId: ROLE.owner, scope: UNKNOWN }, { propertyDependencies: { scope: [vaultUrn] } });
            const report = await check([rg, viaGroup, viaVault]);
            // The resource policy cannot see the scope and says so instead of guessing...
            assert.match(notApplicableReason(report, "azure-no-privileged-role-at-broad-scope", viaGroup.urn) ?? "", /scope is unknown during preview/);
            // ...and the stack policy infers it from the property dependency.
            assertViolates(report, "azure-no-privileged-role-at-inferred-scope", viaGroup.urn, /resource group 'rg'/);
            assert.deepEqual(violationsOf(report, "azure-no-privileged-role-at-inferred-scope", viaVault.urn), []);
        });
    });
});
