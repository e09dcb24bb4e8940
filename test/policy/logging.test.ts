import * as assert from "node:assert/strict";
import { assertViolates, check, notApplicableReason, resource, urnOf, violationsOf } from "./helpers";
import { cluster, diagnosticSetting, registry, storage, T, vault, workspace } from "./fixtures";

describe("policy: logging", () => {
    const policy = "diagnostic-settings-to-log-analytics";

    it("passes when every monitored resource has a setting to Log Analytics, linked by property dependency", async () => {
        const targets = [vault(), cluster(), workspace(), storage(), registry()];
        const report = await check([...targets, ...targets.map((target) => diagnosticSetting(target))]);
        assert.deepEqual(violationsOf(report, policy), []);
        assert.equal(notApplicableReason(report, policy, urnOf(T.stack, "amlmesh-prod")), undefined);
    });

    it("links by a known resourceUri equal to the target's id, or a child of it (storage blob service)", async () => {
        const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stamlprod";
        const account = storage("st", { id });
        const setting = resource(T.diagnosticSetting, "st-blob-diag", { resourceUri: `${id}/blobServices/default`, workspaceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law", logs: [{ categoryGroup: "allLogs", enabled: true }] });
        assert.deepEqual(violationsOf(await check([account, setting]), policy), []);
    });

    it("flags a resource without a setting, a setting to storage only, and a setting with everything disabled", async () => {
        const unlogged = vault("kv");
        const toStorage = registry("acr");
        const disabled = cluster("aks");
        const report = await check([
            unlogged,
            toStorage,
            disabled,
            diagnosticSetting(toStorage, { workspaceId: undefined, storageAccountId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logs" }),
            diagnosticSetting(disabled, { logs: [{ categoryGroup: "audit", enabled: false }] }),
        ]);
        assertViolates(report, policy, unlogged.urn, /Vault 'kv' has no diagnostic setting sending to Log Analytics/);
        assertViolates(report, policy, toStorage.urn);
        assertViolates(report, policy, disabled.urn);
    });

    it("flags a setting that sends only metrics: the audit trail needs logs", async () => {
        const metricsOnly = vault("kv");
        const logsDisabled = registry("acr");
        const report = await check([
            metricsOnly,
            logsDisabled,
            diagnosticSetting(metricsOnly, { logs: undefined, metrics: [{ category: "AllMetrics", enabled: true }] }),
            diagnosticSetting(logsDisabled, { logs: [{ categoryGroup: "audit", enabled: false }], metrics: [{ category: "AllMetrics", enabled: true }] }),
        ]);
        assertViolates(report, policy, metricsOnly.urn, /Vault 'kv' has no diagnostic setting sending to Log Analytics/);
        assertViolates(report, policy, logsDisabled.urn);
    });

    it("is not applicable when the stack has no monitored resource types", async () => {
        const report = await check([resource(T.namespace, "ns", { metadata: { name: "ns" } })]);
        assert.match(notApplicableReason(report, policy, urnOf(T.stack, "amlmesh-prod")) ?? "", /No monitored resource types/);
    });
});
