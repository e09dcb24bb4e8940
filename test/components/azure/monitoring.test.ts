import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Monitoring } from "../../../components/azure/monitoring";
import { runComponents, type PlannedStack } from "../../harness";
import { context, diagnosticsFor, RG_ID } from "./fixtures";

const LAW_ID = `${RG_ID}/providers/Microsoft.OperationalInsights/workspaces/log-test`;

describe("Monitoring", () => {
    let stack: PlannedStack;
    before(async () => {
        stack = await runComponents(() => {
            const monitoring = new Monitoring("mon", { context, workspaceName: "log-test", appInsightsName: "appi-test", retentionDays: 90, dailyQuotaGb: 5 });
            const owner = new pulumi.ComponentResource("amlmesh:test:Owner", "owner");
            monitoring.diagnostics(owner, { name: "owner", resourceId: `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv-x` });
            monitoring.diagnostics(owner, { name: "owner", label: "account", resourceId: `${RG_ID}/providers/Microsoft.Storage/storageAccounts/stx`, logs: false });
        });
    });

    it("creates a Log Analytics workspace with the configured retention and cap, and no shared-key ingestion", () => {
        const workspace = stack.one("azure-native:operationalinsights:Workspace");
        assert.equal(workspace.input("retentionInDays"), 90);
        assert.equal(workspace.input("workspaceCapping.dailyQuotaGb"), 5);
        assert.equal(workspace.input("features.disableLocalAuth"), true);
        assert.equal(workspace.input("features.enableLogAccessUsingOnlyResourcePermissions"), true);
    });

    it("leaves the cap off when the config says -1", async () => {
        const uncapped = await runComponents(() => new Monitoring("mon", { context, workspaceName: "log-test", appInsightsName: "appi-test", retentionDays: 30, dailyQuotaGb: -1 }));
        assert.equal(uncapped.one("azure-native:operationalinsights:Workspace").input("workspaceCapping"), undefined);
    });

    it("creates workspace-based Application Insights on that workspace", () => {
        const appInsights = stack.one("azure-native:applicationinsights:Component");
        assert.equal(appInsights.input("workspaceResourceId"), LAW_ID);
        assert.equal(appInsights.input("ingestionMode"), "LogAnalytics");
    });

    it("attaches all logs (category group allLogs) and all metrics of a resource to Log Analytics, parented to the owner", () => {
        const setting = diagnosticsFor(stack, `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv-x`);
        assert.equal(setting.input("workspaceId"), LAW_ID);
        assert.deepEqual(setting.input("logs"), [{ categoryGroup: "allLogs", enabled: true }]);
        assert.deepEqual(setting.input("metrics"), [{ category: "AllMetrics", enabled: true }]);
        assert.match(String(setting.parent), /amlmesh:test:Owner::owner$/);
    });

    it("sends only metrics for resources without resource logs", () => {
        const setting = diagnosticsFor(stack, `${RG_ID}/providers/Microsoft.Storage/storageAccounts/stx`);
        assert.deepEqual(setting.input("logs"), []);
        assert.deepEqual(setting.input("metrics"), [{ category: "AllMetrics", enabled: true }]);
    });
});
