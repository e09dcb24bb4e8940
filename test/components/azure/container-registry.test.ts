import * as assert from "node:assert/strict";
import { ContainerRegistry } from "../../../components/azure/container-registry";
import type { Principal } from "../../../components/azure/principal";
import type { PublicEndpointAccess } from "../../../components/azure/public-access";
import { runComponents } from "../../harness";
import { assignments, context, diagnosticsFor, foundation, privateEndpointFor, RG_ID, zonesOf } from "./fixtures";

const REGISTRY_ID = `${RG_ID}/providers/Microsoft.ContainerRegistry/registries/crtest1a2b3c`;
const kubelet: Principal = { principalId: "8a7b6c5d-4e3f-4a1b-9c0d-1e2f3a4b5c6d", principalType: "ServicePrincipal", name: "aks-kubelet" };

function registry(publicAccess: PublicEndpointAccess) {
    const { network, monitoring } = foundation();
    return new ContainerRegistry("reg", { context, registryName: "crtest1a2b3c", publicAccess, zoneRedundant: true, privateLinks: network, diagnostics: monitoring });
}

describe("ContainerRegistry", () => {
    it("private: Premium, no admin user or anonymous pull, no public endpoint, a private endpoint, no export", async () => {
        const stack = await runComponents(() => registry({ mode: "disabled" }).grantPull(kubelet));
        assert.equal(stack.one("azure-native:containerregistry:Registry").input("sku.name"), "Premium");
        const acr = stack.one("azure-native:containerregistry:Registry");
        assert.equal(acr.input("adminUserEnabled"), false);
        assert.equal(acr.input("anonymousPullEnabled"), false);
        assert.equal(acr.input("publicNetworkAccess"), "Disabled");
        assert.equal(acr.input("networkRuleSet.defaultAction"), "Deny");
        assert.equal(acr.input("dataEndpointEnabled"), true);
        assert.equal(acr.input("policies.exportPolicy.status"), "disabled");
        assert.deepEqual(zonesOf(privateEndpointFor(stack, REGISTRY_ID, "registry").zoneGroup), ["privatelink.azurecr.io"]);
        assert.deepEqual(diagnosticsFor(stack, REGISTRY_ID).input("logs"), [{ categoryGroup: "allLogs", enabled: true }]);
        assert.deepEqual(assignments(stack).map((a) => [a.principalId, a.role, a.scope]), [[kubelet.principalId, "AcrPull", REGISTRY_ID]]);
    });

    it("allowlist (dev): the public endpoint admits only the listed ranges; the cluster still pulls privately", async () => {
        const stack = await runComponents(() => registry({ mode: "allowlist", ipRanges: ["198.51.100.0/24"] }));
        const acr = stack.one("azure-native:containerregistry:Registry");
        assert.equal(acr.input("adminUserEnabled"), false);
        assert.equal(acr.input("anonymousPullEnabled"), false);
        assert.equal(acr.input("publicNetworkAccess"), "Enabled");
        assert.equal(acr.input("networkRuleSet.defaultAction"), "Deny");
        assert.deepEqual(acr.input("networkRuleSet.ipRules"), [{ action: "Allow", iPAddressOrRange: "198.51.100.0/24" }]);
        assert.equal(acr.input("policies"), undefined, "export can be disabled only without a public endpoint");
        assert.deepEqual(zonesOf(privateEndpointFor(stack, REGISTRY_ID, "registry").zoneGroup), ["privatelink.azurecr.io"]);
    });
});
