import * as assert from "node:assert/strict";
import { ENTRA_FEDERATION_AUDIENCE, FederatedApplication } from "../../../components/entra/federated-application";
import { outputValue, runComponents, type PlannedStack } from "../../harness";

describe("FederatedApplication", () => {
    let stack: PlannedStack;
    let built: FederatedApplication;
    before(async () => {
        stack = await runComponents(() => {
            built = new FederatedApplication("model-release", {
                displayName: "aml-test-model-release",
                federation: { issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/ml-models:environment:prod" },
                owners: ["2f1e0d9c-8b7a-4695-a4b3-c2d1e0f9a8b7"],
                principalName: "caller-model-release",
            });
        });
    });

    it("trusts exactly one external issuer and subject, for the Entra token-exchange audience", () => {
        const credential = stack.one("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential");
        assert.equal(credential.input("issuer"), "https://token.actions.githubusercontent.com");
        assert.equal(credential.input("subject"), "repo:contoso/ml-models:environment:prod");
        assert.deepEqual(credential.input("audiences"), [ENTRA_FEDERATION_AUDIENCE]);
        assert.equal(ENTRA_FEDERATION_AUDIENCE, "api://AzureADTokenExchange");
        const app = stack.one("azuread:index/application:Application");
        assert.ok(credential.inputSources("applicationId").includes(app.urn));
    });

    it("holds no secret, certificate or implicit grant", () => {
        const app = stack.one("azuread:index/application:Application");
        assert.equal(app.input("password"), undefined);
        assert.deepEqual(app.input("web.implicitGrant"), { accessTokenIssuanceEnabled: false, idTokenIssuanceEnabled: false });
        assert.deepEqual(stack.resources.filter((r) => /Password|Certificate/.test(r.type)), []);
    });

    it("is a service principal grantee, logging in with its (public) client ID", async () => {
        assert.equal(built.principal.principalType, "ServicePrincipal");
        assert.equal(built.principal.name, "caller-model-release");
        const sp = stack.one("azuread:index/servicePrincipal:ServicePrincipal");
        assert.equal(await outputValue(built.clientId), sp.input("clientId"));
    });
});
