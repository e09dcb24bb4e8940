import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { Principal } from "../../../components/azure/principal";
import { WorkloadIdentity } from "../../../components/azure/workload-identity";
import { AccessMatrix, type AccessCaller } from "../../../components/entra/access-matrix";
import { ApiApplication, appRoleId } from "../../../components/entra/api-application";
import { runComponents, TEST_TENANT_ID, type PlannedStack } from "../../harness";
import { context } from "../azure/fixtures";
import { recordingTargets, type GrantMethod } from "./fixtures";

const URI = `api://${TEST_TENANT_ID}/aml-test-platform`;
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TEST_TENANT_ID}/4c8e2f1a-7b3d-4e6f-9a0b-1c2d3e4f5a6b/`;
const GROUP = "0a9b8c7d-6e5f-4a3b-8c1d-0e9f8a7b6c5d";
const COMPUTE: Principal = { principalId: "5c4b3a29-1807-4f6e-9d5c-4b3a29180716", principalType: "ServicePrincipal", name: "ml-compute" };

const CALLERS: AccessCaller[] = [
    { name: "data-scientists", kind: "group", objectId: GROUP, roles: ["Experiment.Run", "Model.Invoke"] },
    { name: "model-release", kind: "ci-pipeline", federation: { issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/ml:environment:prod" }, roles: ["Model.Deploy"] },
    { name: "training", kind: "aml-job", roles: ["Features.Read"] },
    { name: "feature-api", kind: "workload", namespace: "features", serviceAccount: "feature-api", roles: ["Features.Read"] },
    { name: "claims-portal", kind: "external-app", federation: { issuer: "https://login.partner.example.net", subject: "claims" }, roles: ["Model.Invoke"] },
];

/** What each grant method grants, as the expectations below phrase it. */
const GRANTED: Record<GrantMethod, string> = {
    "workspace.grantDataScientist": "AzureML Data Scientist on workspace",
    "workspace.grantComputeOperator": "AzureML Compute Operator on workspace",
    "storage.grantBlobDataReader": "Storage Blob Data Reader",
    "storage.grantBlobDataContributor": "Storage Blob Data Contributor",
    "storage.grantFileDataPrivilegedContributor": "Storage File Data Privileged Contributor",
};

describe("AccessMatrix", () => {
    let stack: PlannedStack;
    let matrix: AccessMatrix;
    const { targets: grantTargets, calls: grants } = recordingTargets(
        (method, principal, container) => `${principal.name}: ${GRANTED[method]}${container ? ` on ${container}` : ""}`,
    );
    before(async () => {
        stack = await runComponents(() => {
            const api = new ApiApplication("api", {
                displayName: "aml-test-platform-api",
                identifierUri: URI,
                tenantId: TEST_TENANT_ID,
                roles: Object.fromEntries(["Model.Invoke", "Model.Deploy", "Experiment.Run", "Features.Read"].map((r) => [r, { description: r }])),
                owners: [],
            });
            matrix = new AccessMatrix("access", {
                callers: CALLERS,
                api,
                grantTargets,
                workloadIdentity: (name, binding, opts) =>
                    new WorkloadIdentity(name, { context, cluster: { oidcIssuerUrl: ISSUER }, ...binding, identityName: `id-test-wi-${binding.namespace}-${binding.serviceAccount}` }, opts),
                amlJobIdentity: { principal: COMPUTE, clientId: pulumi.output("7d6c5b4a-3928-4170-8f6e-5d4c3b2a1908") },
                displayNamePrefix: "aml-test",
                owners: [],
            });
        });
    });

    it("gives each caller kind its identity: federated apps for CI and partners, a workload identity, the compute identity, the group", () => {
        const byName = Object.fromEntries(matrix.callers.map((c) => [c.name, c]));
        assert.ok(byName["model-release"].application && byName["claims-portal"].application);
        assert.equal(stack.ofType("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential").length, 2);
        assert.equal(byName["feature-api"].workload?.subject, "system:serviceaccount:features:feature-api");
        assert.equal(byName["feature-api"].principal, byName["feature-api"].workload?.principal, "one identity, one principal name");
        assert.equal(byName["feature-api"].principal.name, "caller-feature-api");
        assert.equal(stack.one("azure-native:managedidentity:FederatedIdentityCredential").input("issuer"), ISSUER);
        assert.equal(byName.training.principal, COMPUTE);
        assert.deepEqual(byName["data-scientists"].principal, { principalId: GROUP, principalType: "Group", name: "caller-data-scientists" });
    });

    it("assigns each caller exactly its app roles on the API", () => {
        const assigned = stack
            .ofType("azuread:index/appRoleAssignment:AppRoleAssignment")
            .map((a) => `${a.name.replace(/^api-role-/, "")} → ${String(a.input("appRoleId"))}`)
            .sort();
        assert.deepEqual(assigned, [
            `experiment-run-caller-data-scientists → ${appRoleId(URI, "Experiment.Run")}`,
            `features-read-caller-feature-api → ${appRoleId(URI, "Features.Read")}`,
            `features-read-ml-compute → ${appRoleId(URI, "Features.Read")}`,
            `model-deploy-caller-model-release → ${appRoleId(URI, "Model.Deploy")}`,
            `model-invoke-caller-claims-portal → ${appRoleId(URI, "Model.Invoke")}`,
            `model-invoke-caller-data-scientists → ${appRoleId(URI, "Model.Invoke")}`,
        ]);
        const group = stack.ofType("azuread:index/appRoleAssignment:AppRoleAssignment").filter((a) => a.input("principalObjectId") === GROUP);
        assert.equal(group.length, 2);
    });

    it("makes the Azure grants the role table implies, and none for edge-only roles", () => {
        assert.deepEqual(grants.sort(), [
            "caller-data-scientists: AzureML Data Scientist on workspace",
            "caller-data-scientists: Storage Blob Data Contributor",
            "caller-data-scientists: Storage File Data Privileged Contributor",
            "caller-feature-api: Storage Blob Data Reader on features",
            "caller-model-release: AzureML Data Scientist on workspace",
            "ml-compute: Storage Blob Data Reader on features",
        ]);
        assert.ok(!grants.some((g) => g.startsWith("caller-claims-portal")), "Model.Invoke is edge-only");
    });
});
