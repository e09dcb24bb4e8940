/**
 * The Azure wiring over the shipped stacks: every data service behind its private endpoint
 * (and, in dev, what stays public and how it is fenced), diagnostics everywhere, the
 * environment differences the stack files promise, and the cluster-side facts handed on.
 */
import * as assert from "node:assert/strict";
import type { PlannedStack, TestResource } from "../harness";
import { plannedStack, STACKS, type ShippedStack } from "./azure-stacks";

function endpointsFor(stack: PlannedStack, target: TestResource): string[] {
    return stack
        .ofType("azure-native:network:PrivateEndpoint")
        .filter((pe) => pe.inputSources("privateLinkServiceConnections").includes(target.urn))
        .flatMap((pe) => (pe.input("privateLinkServiceConnections") as { groupIds: string[] }[])[0].groupIds)
        .sort();
}

describe("Azure platform wiring", () => {
    for (const name of STACKS) {
        describe(name, () => {
            let stack: PlannedStack;
            before(async () => {
                stack = await plannedStack(name);
            });
            const one = (type: string) => stack.one(type);

            it("sends diagnostics of Key Vault, AKS, the ML workspace, storage (account and blobs) and the registry to Log Analytics", () => {
                const targets = stack.ofType("azure-native:monitor:DiagnosticSetting").map((d) => String(d.input("resourceUri")).split("/providers/")[1]);
                for (const expected of [
                    /^Microsoft\.KeyVault\/vaults\/[^/]+$/,
                    /^Microsoft\.ContainerService\/managedClusters\/[^/]+$/,
                    /^Microsoft\.MachineLearningServices\/workspaces\/[^/]+$/,
                    /^Microsoft\.Storage\/storageAccounts\/[^/]+$/,
                    /^Microsoft\.Storage\/storageAccounts\/[^/]+\/blobServices\/default$/,
                    /^Microsoft\.ContainerRegistry\/registries\/[^/]+$/,
                ]) {
                    assert.ok(targets.some((t) => expected.test(t)), `no diagnostic setting for ${expected}`);
                }
                const workspaceId = String(one("azure-native:operationalinsights:Workspace").input("workspaceName"));
                for (const setting of stack.ofType("azure-native:monitor:DiagnosticSetting")) assert.match(String(setting.input("workspaceId")), new RegExp(`/workspaces/${workspaceId}$`));
            });

            it("puts Key Vault, storage (blob, file), the registry and the ML workspace behind private endpoints", () => {
                assert.deepEqual(endpointsFor(stack, one("azure-native:keyvault:Vault")), ["vault"]);
                assert.deepEqual(endpointsFor(stack, one("azure-native:storage:StorageAccount")), ["blob", "file"]);
                assert.deepEqual(endpointsFor(stack, one("azure-native:machinelearningservices:Workspace")), ["amlworkspace"]);
                assert.deepEqual(endpointsFor(stack, one("azure-native:containerregistry:Registry")), ["registry"]);
            });

            it("closes public network access outside dev; in dev only behind default-deny firewalls or Entra auth", () => {
                const vault = one("azure-native:keyvault:Vault");
                const workspace = one("azure-native:machinelearningservices:Workspace");
                const registry = one("azure-native:containerregistry:Registry");
                assert.equal(one("azure-native:storage:StorageAccount").input("publicNetworkAccess"), "Disabled");
                assert.equal(vault.input("properties.networkAcls.defaultAction"), "Deny");
                assert.equal(registry.input("networkRuleSet.defaultAction"), "Deny");
                assert.equal(registry.input("sku.name"), "Premium");
                if (name === "dev") {
                    // The developer ranges open the same two firewalls, nothing else.
                    assert.equal(vault.input("properties.publicNetworkAccess"), "Enabled");
                    assert.deepEqual(vault.input("properties.networkAcls.ipRules"), [{ value: "203.0.113.0/24" }]);
                    assert.equal(registry.input("publicNetworkAccess"), "Enabled");
                    assert.deepEqual(registry.input("networkRuleSet.ipRules"), [{ action: "Allow", iPAddressOrRange: "203.0.113.0/24" }]);
                    assert.equal(workspace.input("publicNetworkAccess"), "Enabled");
                } else {
                    assert.equal(vault.input("properties.publicNetworkAccess"), "Disabled");
                    assert.equal(workspace.input("publicNetworkAccess"), "Disabled");
                    assert.equal(registry.input("publicNetworkAccess"), "Disabled");
                }
            });

            it("follows the stack file's cluster shape", () => {
                const cluster = one("azure-native:containerservice:ManagedCluster");
                const expected: Record<ShippedStack, { private: boolean; tier: string; zones?: string[]; ha: string; hbi: boolean; isolation: string }> = {
                    dev: { private: false, tier: "Free", ha: "False", hbi: false, isolation: "AllowInternetOutbound" },
                    staging: { private: true, tier: "Standard", ha: "False", hbi: false, isolation: "AllowOnlyApprovedOutbound" },
                    prod: { private: true, tier: "Standard", zones: ["1", "2", "3"], ha: "True", hbi: true, isolation: "AllowOnlyApprovedOutbound" },
                };
                const want = expected[name];
                assert.equal(cluster.input("apiServerAccessProfile.enablePrivateCluster"), want.private);
                assert.equal(cluster.input("sku.tier"), want.tier);
                assert.deepEqual((cluster.input("agentPoolProfiles") as { availabilityZones?: string[] }[])[0].availabilityZones, want.zones);
                assert.equal(one("azure-native:kubernetesconfiguration:Extension").input("configurationSettings.inferenceRouterHA"), want.ha);
                const workspace = one("azure-native:machinelearningservices:Workspace");
                assert.equal(workspace.input("hbiWorkspace"), want.hbi);
                assert.equal(workspace.input("managedNetwork.isolationMode"), want.isolation);
            });

            it("opens the node subnet to the internet on 443 only for a public edge (dev)", () => {
                const nsg = stack.ofType("azure-native:network:NetworkSecurityGroup").find((n) => String(n.input("networkSecurityGroupName")).endsWith("aks-nodes"))!;
                const allows = (nsg.input("securityRules") as { access: string; sourceAddressPrefix: string }[]).filter((r) => r.access === "Allow" && r.sourceAddressPrefix === "Internet");
                assert.equal(allows.length, name === "dev" ? 1 : 0);
            });

            it("creates the ML namespace, meshed, with the cluster's provider before attaching the cluster to the workspace", () => {
                const provider = one("pulumi:providers:kubernetes");
                const namespace = stack.ofType("kubernetes:core/v1:Namespace").find((n) => n.input("metadata.name") === "aml-workloads")!;
                assert.equal(namespace.input("metadata.name"), "aml-workloads");
                assert.equal(namespace.input(["metadata", "annotations", "linkerd.io/inject"]), "enabled");
                assert.equal(namespace.input(["metadata", "annotations", "config.linkerd.io/default-inbound-policy"]), "deny");
                assert.ok(namespace.captured.provider?.startsWith(`${provider.urn}::`));
                const compute = stack.ofType("azure-native:machinelearningservices:Compute").find((c) => c.input("properties.computeType") === "Kubernetes")!;
                assert.ok(compute.dependsOn(namespace));
                assert.equal(compute.input("properties.properties.namespace"), "aml-workloads");
            });

            it("installs the ML extension only into its meshed namespace, once the router's TLS Secret exists", () => {
                const extension = one("azure-native:kubernetesconfiguration:Extension");
                const namespace = stack.ofType("kubernetes:core/v1:Namespace").find((n) => n.input("metadata.name") === "azureml")!;
                assert.ok(namespace, "the azureml namespace is created by the platform, not patched after the extension");
                assert.equal(namespace.input(["metadata", "annotations", "linkerd.io/inject"]), "enabled");
                const secret = stack.ofType("kubernetes:core/v1:Secret").find((r) => r.input("metadata.name") === extension.input("configurationSettings.sslSecret"))!;
                assert.equal(secret.input("metadata.namespace"), "azureml");
                assert.ok(secret.isSecret(["stringData", "key.pem"]));
                assert.ok(extension.dependsOn(namespace) && extension.dependsOn(secret));
                assert.equal(extension.input("configurationSettings.allowInsecureConnections"), "False");
            });

            it("tags every taggable Azure resource with environment, project and owner", () => {
                for (const resource of stack.resources.filter((r) => r.type.startsWith("azure-native:") && r.inputs.tags !== undefined)) {
                    const tags = resource.inputs.tags as Record<string, string>;
                    assert.equal(tags.environment, name, resource.urn);
                    assert.equal(tags.managedBy, "pulumi", resource.urn);
                    assert.equal(tags.owner, "platform-engineering", resource.urn);
                }
                for (const type of ["azure-native:keyvault:Vault", "azure-native:storage:StorageAccount", "azure-native:containerservice:ManagedCluster", "azure-native:machinelearningservices:Workspace"]) {
                    assert.ok(one(type).inputs.tags, `${type} is untagged`);
                }
            });
        });
    }
});
