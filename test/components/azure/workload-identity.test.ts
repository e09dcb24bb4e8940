import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION, USE_LABEL, WorkloadIdentity, workloadIdentityAnnotations, WORKLOAD_IDENTITY_AUDIENCE } from "../../../components/azure/workload-identity";
import { outputValue, runComponents, TEST_TENANT_ID, type PlannedStack } from "../../harness";
import { context, RG_ID } from "./fixtures";

const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TEST_TENANT_ID}/4c8e2f1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b/`;

describe("WorkloadIdentity", () => {
    let stack: PlannedStack;
    let identity: WorkloadIdentity;
    before(async () => {
        stack = await runComponents(() => {
            identity = new WorkloadIdentity("feature-api", {
                context,
                cluster: { oidcIssuerUrl: ISSUER },
                namespace: "features",
                serviceAccount: "feature-api",
                identityName: "id-test-wi-features-feature-api",
            });
        });
    });

    it("creates one user-assigned identity and one federated credential trusting exactly this ServiceAccount on this cluster", () => {
        const uami = stack.one("azure-native:managedidentity:UserAssignedIdentity");
        assert.equal(uami.input("resourceName"), "id-test-wi-features-feature-api");
        const credential = stack.one("azure-native:managedidentity:FederatedIdentityCredential");
        assert.equal(credential.input("resourceName"), "id-test-wi-features-feature-api");
        assert.equal(credential.input("issuer"), ISSUER);
        assert.equal(credential.input("subject"), "system:serviceaccount:features:feature-api");
        assert.deepEqual(credential.input("audiences"), [WORKLOAD_IDENTITY_AUDIENCE]);
        assert.equal(WORKLOAD_IDENTITY_AUDIENCE, "api://AzureADTokenExchange");
    });

    it("creates no Kubernetes objects and no secret", () => {
        assert.deepEqual(stack.resources.filter((r) => r.type.startsWith("kubernetes:")), []);
        assert.ok(stack.resources.every((r) => !/password|secret/i.test(r.type)));
    });

    it("hands the Kubernetes side the client ID and tenant ID annotations and the pod label", async () => {
        const clientId = await outputValue(identity.clientId);
        assert.match(clientId, /^[0-9a-f-]{36}$/);
        assert.deepEqual(await outputValue(pulumi.output(workloadIdentityAnnotations(identity.clientId, TEST_TENANT_ID))), { [CLIENT_ID_ANNOTATION]: clientId, [TENANT_ID_ANNOTATION]: TEST_TENANT_ID });
        assert.equal(CLIENT_ID_ANNOTATION, "azure.workload.identity/client-id");
        assert.equal(TENANT_ID_ANNOTATION, "azure.workload.identity/tenant-id");
        assert.deepEqual(identity.podLabels, { [USE_LABEL]: "true" });
        assert.equal(USE_LABEL, "azure.workload.identity/use");
    });

    it("is a grantee (service principal) by its principal ID, not its client ID", async () => {
        assert.equal(identity.principal.principalType, "ServicePrincipal");
        const principalId = await outputValue(identity.principalId);
        assert.notEqual(principalId, await outputValue(identity.clientId));
        assert.equal(await outputValue(identity.identityId), `${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-test-wi-features-feature-api`);
    });
});
