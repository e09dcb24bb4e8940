import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { AksCluster, withKubeloginMode, type AksClusterArgs, AKS_SERVER_APP_ID } from "../../../components/azure/aks-cluster";
import type { Principal } from "../../../components/azure/principal";
import { isSecretOutput, outputValue, runComponents, TEST_TENANT_ID, type PlannedStack } from "../../harness";
import { assignments, context, diagnosticsFor, foundation, RG_ID } from "./fixtures";

const CLUSTER_ID = `${RG_ID}/providers/Microsoft.ContainerService/managedClusters/aks-test`;
const KUBELET_ID = `${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-test-kubelet`;
const deployer: Principal = { principalId: "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a", principalType: "ServicePrincipal", name: "deployer" };
const ADMIN_GROUP = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

type Overrides = Partial<Omit<AksClusterArgs, "context" | "diagnostics" | "nodeSubnetId">>;

function cluster(overrides: Overrides = {}) {
    const { network, monitoring } = foundation();
    return new AksCluster("aks", {
        context,
        diagnostics: monitoring,
        nodeSubnetId: network.subnets.aksNodes.id,
        clusterName: "aks-test",
        dnsPrefix: "test",
        nodeResourceGroupName: "rg-test-aks-nodes",
        kubernetesVersion: "1.35",
        skuTier: "Standard",
        apiServer: { access: "private", privateDnsZoneId: API_ZONE_ID, vnetId: `${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-test` },
        systemPool: { vmSize: "Standard_D4ds_v5", minCount: 3, maxCount: 5 },
        userPool: { vmSize: "Standard_D8ds_v5", minCount: 3, maxCount: 20 },
        availabilityZones: ["1", "2", "3"],
        networking: { podCidr: "192.168.0.0/16", serviceCidr: "172.16.0.0/16", dnsServiceIp: "172.16.0.10", policy: "cilium" },
        upgrades: { channel: "patch", nodeOsChannel: "NodeImage", maintenanceWindow: { dayOfWeek: "Sunday", startHourUtc: 1, durationHours: 6 } },
        adminGroupObjectIds: [ADMIN_GROUP],
        deployer,
        identityNames: { controlPlane: "id-test-control-plane", kubelet: "id-test-kubelet" },
        ...overrides,
    });
}

const API_ZONE_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/privatelink.westeurope.azmk8s.io";

describe("AksCluster", () => {
    let stack: PlannedStack;
    let built: AksCluster;
    before(async () => {
        stack = await runComponents(() => {
            built = cluster();
        });
    });
    const managedCluster = () => stack.one("azure-native:containerservice:ManagedCluster");

    it("runs as user-assigned managed identities, never a service principal", () => {
        const aks = managedCluster();
        assert.equal(aks.input("identity.type"), "UserAssigned");
        assert.deepEqual(aks.input("identity.userAssignedIdentities"), [`${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-test-control-plane`]);
        assert.equal(aks.input("identityProfile.kubeletidentity.resourceId"), KUBELET_ID);
        assert.equal(aks.input("servicePrincipalProfile"), undefined);
    });

    it("authenticates with Entra ID, authorizes with Azure RBAC, and has no local accounts", () => {
        const aks = managedCluster();
        assert.deepEqual(aks.input("aadProfile"), { managed: true, enableAzureRBAC: true, tenantID: TEST_TENANT_ID });
        assert.equal(aks.input("disableLocalAccounts"), true);
        assert.equal(aks.input("enableRBAC"), true);
    });

    it("exposes an OIDC issuer, enables workload identity and the Key Vault CSI add-on with rotation", () => {
        const aks = managedCluster();
        assert.equal(aks.input("oidcIssuerProfile.enabled"), true);
        assert.equal(aks.input("securityProfile.workloadIdentity.enabled"), true);
        assert.equal(aks.input("podIdentityProfile"), undefined);
        assert.deepEqual(aks.input("addonProfiles.azureKeyvaultSecretsProvider"), { enabled: true, config: { enableSecretRotation: "true", rotationPollInterval: "2m" } });
    });

    it("uses Azure CNI overlay with the configured network policy engine (cilium → Cilium dataplane)", () => {
        const network = managedCluster().input("networkProfile") as Record<string, unknown>;
        assert.equal(network.networkPlugin, "azure");
        assert.equal(network.networkPluginMode, "overlay");
        assert.equal(network.networkPolicy, "cilium");
        assert.equal(network.networkDataplane, "cilium");
        assert.equal(network.podCidr, "192.168.0.0/16");
        assert.equal(network.serviceCidr, "172.16.0.0/16");
        assert.equal(network.dnsServiceIP, "172.16.0.10");
    });

    it("keeps the Azure dataplane for calico", async () => {
        const calico = await runComponents(() => cluster({ networking: { podCidr: "192.168.0.0/16", serviceCidr: "172.16.0.0/16", dnsServiceIp: "172.16.0.10", policy: "calico" } }));
        const network = calico.one("azure-native:containerservice:ManagedCluster").input("networkProfile") as Record<string, unknown>;
        assert.equal(network.networkPolicy, "calico");
        assert.equal(network.networkDataplane, "azure");
    });

    it("runs autoscaling system and user pools in the node subnet, across the configured zones, without public IPs", () => {
        const pools = managedCluster().input("agentPoolProfiles") as Record<string, unknown>[];
        assert.deepEqual(pools.map((p) => [p.name, p.mode, p.vmSize, p.minCount, p.maxCount]), [
            ["system", "System", "Standard_D4ds_v5", 3, 5],
            ["user", "User", "Standard_D8ds_v5", 3, 20],
        ]);
        for (const pool of pools) {
            assert.equal(pool.enableAutoScaling, true);
            assert.deepEqual(pool.availabilityZones, ["1", "2", "3"]);
            assert.equal(pool.enableNodePublicIP, false);
            assert.equal(pool.vnetSubnetID, `${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-test/subnets/snet-aks-nodes`);
        }
        assert.deepEqual(pools[0].nodeTaints, ["CriticalAddonsOnly=true:NoSchedule"]);
        assert.deepEqual(managedCluster().captured.options.ignoreChanges, ["agentPoolProfiles[*].count"]);
    });

    it("omits zones for a regional cluster", async () => {
        const regional = await runComponents(() => cluster({ availabilityZones: [] }));
        const pools = regional.one("azure-native:containerservice:ManagedCluster").input("agentPoolProfiles") as Record<string, unknown>[];
        assert.ok(pools.every((pool) => pool.availabilityZones === undefined));
    });

    it("keeps the API server private in a zone of its own, or public only to the authorized ranges", async () => {
        assert.deepEqual(managedCluster().input("apiServerAccessProfile"), { enablePrivateCluster: true, privateDNSZone: API_ZONE_ID, enablePrivateClusterPublicFQDN: false });
        const fenced = await runComponents(() => cluster({ apiServer: { access: "public", authorizedRanges: ["203.0.113.0/24"] } }));
        assert.deepEqual(fenced.one("azure-native:containerservice:ManagedCluster").input("apiServerAccessProfile"), {
            enablePrivateCluster: false,
            authorizedIPRanges: ["203.0.113.0/24"],
        });
    });

    it("upgrades automatically, inside the maintenance window, with the planned-maintenance schedules AKS reads", () => {
        assert.deepEqual(managedCluster().input("autoUpgradeProfile"), { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" });
        const configs = stack.ofType("azure-native:containerservice:MaintenanceConfiguration");
        assert.deepEqual(configs.map((c) => c.input("configName")).sort(), ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"]);
        for (const config of configs) {
            assert.deepEqual(config.input("maintenanceWindow"), {
                schedule: { weekly: { dayOfWeek: "Sunday", intervalWeeks: 1 } },
                durationHours: 6,
                startTime: "01:00",
                utcOffset: "+00:00",
            });
        }
    });

    it("sends all logs and metrics to Log Analytics", () => {
        assert.deepEqual(diagnosticsFor(stack, CLUSTER_ID).input("logs"), [{ categoryGroup: "allLogs", enabled: true }]);
    });

    it("grants the control plane only what it needs (kubelet identity, node subnet; VNet and DNS zone of a private API server) before the cluster exists", () => {
        const roles = ["Managed Identity Operator", "Network Contributor", "Private DNS Zone Contributor"];
        const controlPlane = assignments(stack).filter((a) => roles.includes(a.role));
        assert.deepEqual(controlPlane.map((a) => [a.role, a.scope]).sort(), [
            ["Managed Identity Operator", KUBELET_ID],
            ["Network Contributor", `${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-test`],
            ["Network Contributor", `${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-test/subnets/snet-aks-nodes`],
            ["Private DNS Zone Contributor", API_ZONE_ID],
        ]);
        for (const a of controlPlane) assert.ok(managedCluster().dependsOn(a.resource), `cluster must wait for ${a.role}`);
    });

    it("makes the admin groups and the deployer cluster admins of this cluster only", () => {
        const admins = assignments(stack).filter((a) => a.role === "Azure Kubernetes Service RBAC Cluster Admin");
        assert.deepEqual(admins.map((a) => [a.principalId, a.principalType, a.scope]).sort(), [
            [ADMIN_GROUP, "Group", CLUSTER_ID],
            [deployer.principalId, "ServicePrincipal", CLUSTER_ID],
        ].sort());
    });

    it("outputs the OIDC issuer URL and the kubelet identity", async () => {
        assert.match(await outputValue(built.oidcIssuerUrl), new RegExp(`^https://westeurope\\.oic\\.prod-aks\\.azure\\.com/${TEST_TENANT_ID}/[0-9a-f-]{36}/$`));
        assert.equal(await outputValue(built.kubeletIdentity.resourceId), KUBELET_ID);
        assert.equal(built.kubeletIdentity.principal.principalType, "ServicePrincipal");
    });

    it("builds a Kubernetes provider from a secret, credential-free kubeconfig that logs in with kubelogin, after the deployer's grant", async () => {
        assert.equal(await isSecretOutput(built.kubeconfig), true);
        const provider = stack.one("pulumi:providers:kubernetes");
        assert.equal(provider.isSecret("kubeconfig"), true);
        const kubeconfig = parse(String(provider.input("kubeconfig"))) as { users: { user: Record<string, unknown> & { exec?: { command: string; args: string[] } } }[] };
        for (const { user } of kubeconfig.users) {
            assert.equal(user.token, undefined);
            assert.equal(user["client-key-data"], undefined);
            assert.equal(user.exec?.command, "kubelogin");
            assert.deepEqual(user.exec?.args, ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_APP_ID, "--environment", "AzurePublicCloud", "--tenant-id", TEST_TENANT_ID]);
        }
        const deployerGrant = assignments(stack).find((a) => a.principalId === deployer.principalId)!;
        assert.ok(provider.dependsOn(deployerGrant.resource));
    });
});

describe("withKubeloginMode", () => {
    const devicecode = [
        "apiVersion: v1",
        "kind: Config",
        "users:",
        "- name: clusterUser_rg_aks",
        "  user:",
        "    exec:",
        "      apiVersion: client.authentication.k8s.io/v1beta1",
        "      command: kubelogin",
        "      args: [get-token, --environment, AzureUSGovernmentCloud, --server-id, 11111111-2222-4333-8444-555555555555, --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, t, --login, devicecode]",
    ].join("\n");

    it("replaces device-code login with the requested mode, keeping the server ID and cloud", () => {
        const rewritten = parse(withKubeloginMode(devicecode, "workloadidentity", TEST_TENANT_ID)) as { users: { user: { exec: { args: string[] } } }[] };
        assert.deepEqual(rewritten.users[0].user.exec.args, [
            "get-token",
            "--login",
            "workloadidentity",
            "--server-id",
            "11111111-2222-4333-8444-555555555555",
            "--environment",
            "AzureUSGovernmentCloud",
            "--tenant-id",
            TEST_TENANT_ID,
        ]);
    });
});
