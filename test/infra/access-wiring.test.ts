/**
 * The access matrix in the stack config drives both the app-role assignments (checked at the
 * edge) and the Azure RBAC assignments (through the role table). Changing a caller's roles in
 * config changes both; a role without a row in the table changes only the edge side.
 */
import * as assert from "node:assert/strict";
import { appRoleId } from "../../components/entra/api-application";
import { editConfig, roleAssignments, runStack, shippedStackConfig, type PlannedStack } from "../harness";
import { plannedStack } from "./azure-stacks";

type Caller = { name: string; kind: string; roles: string[]; [key: string]: unknown };
type Access = { roles: Record<string, { description: string }>; callers: Caller[] };

const URI = "api://00000000-0000-0000-0000-000000000000/aml-prod-platform";

function appRolesOf(stack: PlannedStack, principalId: string): string[] {
    const ids = new Map(["Model.Invoke", "Model.Deploy", "Experiment.Run", "Features.Read", "Reports.Read"].map((role) => [appRoleId(URI, role), role]));
    return stack
        .ofType("azuread:index/appRoleAssignment:AppRoleAssignment")
        .filter((a) => a.input("principalObjectId") === principalId)
        .map((a) => ids.get(String(a.input("appRoleId"))) ?? String(a.input("appRoleId")))
        .sort();
}

function azureRolesOf(stack: PlannedStack, principalId: string): string[] {
    return roleAssignments(stack)
        .filter((a) => a.principalId === principalId)
        .map((a) => `${a.role} @ ${a.scope.split("/providers/")[1]}`)
        .sort();
}

function featureApiPrincipal(stack: PlannedStack): string {
    const identity = stack.ofType("azure-native:managedidentity:UserAssignedIdentity").find((i) => i.input("resourceName") === "id-aml-prod-wi-features-feature-api");
    assert.ok(identity, "feature-api has a workload identity");
    const grant = roleAssignments(stack).find((a) => a.resource.inputSources("principalId").includes(identity.urn));
    assert.ok(grant, "feature-api has at least one Azure grant");
    return grant.principalId;
}

describe("access matrix wiring (prod)", () => {
    let shipped: PlannedStack;
    before(async () => {
        shipped = await plannedStack("prod");
    });

    it("gives the workload caller a federated workload identity on the cluster's OIDC issuer", () => {
        const credential = shipped.ofType("azure-native:managedidentity:FederatedIdentityCredential").find((c) => c.input("subject") === "system:serviceaccount:features:feature-api");
        assert.ok(credential);
        assert.ok(credential.inputSources("issuer").some((urn) => urn.endsWith("azure-native:containerservice:ManagedCluster::platform-cluster")));
        assert.match(String(credential.input("issuer")), /^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\//);
        assert.deepEqual(credential.input("audiences"), ["api://AzureADTokenExchange"]);
    });

    it("derives the shipped caller's edge and Azure permissions from its roles", () => {
        const principal = featureApiPrincipal(shipped);
        assert.deepEqual(appRolesOf(shipped, principal), ["Features.Read"]);
        assert.deepEqual(azureRolesOf(shipped, principal), [`Storage Blob Data Reader @ Microsoft.Storage/storageAccounts/${storageName(shipped)}/blobServices/default/containers/features`]);
    });

    it("changes both when the caller's roles change in config", async () => {
        const raw = editConfig(shippedStackConfig("prod"), "amlmesh:access", (value) => {
            const access = value as Access;
            access.callers = access.callers.map((c) => (c.name === "feature-api" ? { ...c, roles: ["Experiment.Run", "Model.Invoke"] } : c));
            return access;
        });
        const edited = await runStack("prod", raw);
        const principal = featureApiPrincipal(edited);
        assert.deepEqual(appRolesOf(edited, principal), ["Experiment.Run", "Model.Invoke"]);
        assert.deepEqual(azureRolesOf(edited, principal), [
            "AzureML Data Scientist @ Microsoft.MachineLearningServices/workspaces/mlw-aml-prod",
            `Storage Blob Data Contributor @ Microsoft.Storage/storageAccounts/${storageName(edited)}`,
            `Storage File Data Privileged Contributor @ Microsoft.Storage/storageAccounts/${storageName(edited)}`,
        ]);
    });

    it("grants only the app role, nothing in Azure, for a role the table does not map; and drops a removed caller entirely", async () => {
        const raw = editConfig(shippedStackConfig("prod"), "amlmesh:access", (value) => {
            const access = value as Access;
            access.roles["Reports.Read"] = { description: "Read reports." };
            access.callers = access.callers
                .filter((c) => c.name !== "model-release")
                .map((c) => (c.name === "feature-api" ? { ...c, roles: ["Reports.Read"] } : c));
            return access;
        });
        const edited = await runStack("prod", raw);
        const identity = edited.ofType("azure-native:managedidentity:UserAssignedIdentity").find((i) => i.input("resourceName") === "id-aml-prod-wi-features-feature-api")!;
        const assignment = edited.ofType("azuread:index/appRoleAssignment:AppRoleAssignment").find((a) => a.inputSources("principalObjectId").includes(identity.urn))!;
        assert.equal(assignment.input("appRoleId"), appRoleId(URI, "Reports.Read"));
        assert.deepEqual(roleAssignments(edited).filter((a) => a.resource.inputSources("principalId").includes(identity.urn)), []);
        assert.equal(edited.where("amlmesh:entra:FederatedApplication", /model-release/).length, 0);
        assert.ok(!roleAssignments(edited).some((a) => a.description.includes("caller-model-release")));
        assert.equal(shipped.where("amlmesh:entra:FederatedApplication", /model-release/).length, 1);
    });
});

function storageName(stack: PlannedStack): string {
    return String(stack.one("azure-native:storage:StorageAccount").input("accountName"));
}
