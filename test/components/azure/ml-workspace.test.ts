import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { MlWorkspace, type MlWorkspaceArgs } from "../../../components/azure/ml-workspace";
import type { Principal } from "../../../components/azure/principal";
import { outputValue, runComponents, type PlannedStack } from "../../harness";
import { assignments, context, diagnosticsFor, foundation, privateEndpointFor, RG_ID, zonesOf } from "./fixtures";

const WORKSPACE_ID = `${RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test`;
const releaser: Principal = { principalId: "9b8a7c6d-5e4f-4302-9a1b-2c3d4e5f6a7b", principalType: "ServicePrincipal", name: "release" };

function workspace(overrides: Partial<MlWorkspaceArgs> = {}) {
    const { network, monitoring } = foundation();
    return new MlWorkspace("ml", {
        context,
        privateLinks: network,
        diagnostics: monitoring,
        workspaceName: "mlw-test",
        friendlyName: "ML platform (test)",
        storageAccountId: `${RG_ID}/providers/Microsoft.Storage/storageAccounts/sttest`,
        keyVaultId: `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv-test`,
        applicationInsightsId: `${RG_ID}/providers/Microsoft.Insights/components/appi-test`,
        containerRegistryId: `${RG_ID}/providers/Microsoft.ContainerRegistry/registries/crtest`,
        publicNetworkAccess: "Disabled",
        isolationMode: "AllowOnlyApprovedOutbound",
        highBusinessImpact: true,
        buildImagesOnComputeCluster: true,
        computeCluster: { name: "cpu-cluster", vmSize: "Standard_DS4_v2", maxNodes: 10, idleMinutesBeforeScaleDown: 15, identityName: "id-test-ml-compute" },
        ...overrides,
    });
}

describe("MlWorkspace", () => {
    let stack: PlannedStack;
    let built: MlWorkspace;
    before(async () => {
        stack = await runComponents(() => {
            built = workspace();
            built.grantDataScientist(releaser);
            built.grantComputeOperator(releaser);
        });
    });
    const ws = () => stack.one("azure-native:machinelearningservices:Workspace");

    it("runs as its system identity and reaches its storage with it, not with account keys", () => {
        assert.equal(ws().input("identity.type"), "SystemAssigned");
        assert.equal(ws().input("systemDatastoresAuthMode"), "identity");
    });

    it("is private, isolated in a managed network, HBI, and has no public compute", () => {
        assert.equal(ws().input("publicNetworkAccess"), "Disabled");
        assert.equal(ws().input("allowPublicAccessWhenBehindVnet"), false);
        assert.equal(ws().input("managedNetwork.isolationMode"), "AllowOnlyApprovedOutbound");
        assert.equal(ws().input("hbiWorkspace"), true);
        assert.equal(ws().input("serverlessComputeSettings.serverlessComputeNoPublicIP"), true);
        assert.equal(ws().input("imageBuildCompute"), "cpu-cluster");
    });

    it("follows the config where the environment allows more (dev)", async () => {
        const dev = await runComponents(() => workspace({ publicNetworkAccess: "Enabled", isolationMode: "AllowInternetOutbound", highBusinessImpact: false, buildImagesOnComputeCluster: false }));
        const devWs = dev.one("azure-native:machinelearningservices:Workspace");
        assert.equal(devWs.input("publicNetworkAccess"), "Enabled");
        assert.equal(devWs.input("managedNetwork.isolationMode"), "AllowInternetOutbound");
        assert.equal(devWs.input("hbiWorkspace"), false);
        assert.equal(devWs.input("imageBuildCompute"), undefined);
    });

    it("links its storage, Key Vault, Application Insights and registry", () => {
        assert.match(String(ws().input("storageAccount")), /storageAccounts\/sttest$/);
        assert.match(String(ws().input("keyVault")), /vaults\/kv-test$/);
        assert.match(String(ws().input("applicationInsights")), /components\/appi-test$/);
        assert.match(String(ws().input("containerRegistry")), /registries\/crtest$/);
    });

    it("is reachable through a private endpoint registered in the Azure ML API and notebooks zones", () => {
        assert.deepEqual(zonesOf(privateEndpointFor(stack, WORKSPACE_ID, "amlworkspace").zoneGroup), ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]);
    });

    it("sends all logs and metrics to Log Analytics", () => {
        assert.deepEqual(diagnosticsFor(stack, WORKSPACE_ID).input("logs"), [{ categoryGroup: "allLogs", enabled: true }]);
    });

    it("has a compute cluster that scales to zero, with its own managed identity, no public IP and no SSH", () => {
        const cluster = stack.one("azure-native:machinelearningservices:Compute");
        assert.equal(cluster.input("properties.computeType"), "AmlCompute");
        assert.equal(cluster.input("properties.disableLocalAuth"), true);
        assert.equal(cluster.input("properties.properties.scaleSettings.minNodeCount"), 0);
        assert.equal(cluster.input("properties.properties.scaleSettings.maxNodeCount"), 10);
        assert.equal(cluster.input("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown"), "PT15M");
        assert.equal(cluster.input("properties.properties.enableNodePublicIp"), false);
        assert.equal(cluster.input("properties.properties.remoteLoginPortPublicAccess"), "Disabled");
        assert.equal(cluster.input("properties.properties.subnet"), undefined, "managed-network compute cannot join a customer subnet");
        assert.equal(cluster.input("identity.type"), "UserAssigned");
        assert.deepEqual(cluster.input("identity.userAssignedIdentities"), [`${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-test-ml-compute`]);
    });

    it("outputs the discovery URL, the MLflow tracking URI and the identities", async () => {
        // The mock reports URLs in the engine's location, the component falls back to the
        // context's (westeurope): run the engine elsewhere so the two differ.
        let elsewhere!: MlWorkspace;
        await runComponents(() => {
            elsewhere = workspace();
        }, { location: "northeurope" });
        assert.equal(await outputValue(elsewhere.discoveryUrl), "https://northeurope.api.azureml.ms/discovery", "the workspace's own discovery URL, not the fallback");
        assert.equal(await outputValue(built.mlflowTrackingUri), `azureml://westeurope.api.azureml.ms/mlflow/v1.0${WORKSPACE_ID}`);
        assert.match(await outputValue(pulumi.output(built.systemIdentity.principalId)), /^[0-9a-f-]{36}$/);
        assert.equal(built.computeIdentity.principal.principalType, "ServicePrincipal");
    });

    it("grants workspace roles on the workspace only", () => {
        assert.deepEqual(assignments(stack).map((a) => [a.role, a.scope]).sort(), [
            ["AzureML Compute Operator", WORKSPACE_ID],
            ["AzureML Data Scientist", WORKSPACE_ID],
        ]);
    });
});
