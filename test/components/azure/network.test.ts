import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Network, PRIVATE_DNS_ZONES } from "../../../components/azure/network";
import { runComponents, type PlannedStack } from "../../harness";
import { context, privateEndpointFor, RG_ID, zonesOf } from "./fixtures";

const VNET_ID = `${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-test`;

function network(publicInboundPorts?: number[]) {
    return new Network("net", {
        context,
        vnetName: "vnet-test",
        addressSpace: "10.50.0.0/16",
        subnets: { aksNodes: "10.50.0.0/20", privateEndpoints: "10.50.16.0/24", mlCompute: "10.50.20.0/22" },
        publicInboundPorts,
    });
}

describe("Network", () => {
    let stack: PlannedStack;
    before(async () => {
        stack = await runComponents(() => {
            const net = network();
            // Any resource can get a private endpoint: here a stand-in component owning a vault.
            const owner = new pulumi.ComponentResource("amlmesh:test:Owner", "owner");
            net.privateEndpoint(owner, { name: "owner", resourceId: `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv-x`, resourceName: "kv-x", groupId: "vault" });
            net.privateEndpoint(owner, {
                name: "owner",
                resourceId: `${RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-x`,
                resourceName: "mlw-x",
                groupId: "amlworkspace",
            });
        });
    });

    it("creates one VNet with the configured address space, owning no inline subnets", () => {
        const vnet = stack.one("azure-native:network:VirtualNetwork");
        assert.deepEqual(vnet.input("addressSpace.addressPrefixes"), ["10.50.0.0/16"]);
        assert.equal(vnet.input("virtualNetworkName"), "vnet-test");
        assert.deepEqual(vnet.captured.options.ignoreChanges, ["subnets"]);
    });

    it("gives every subnet its own NSG, no implicit outbound access, and creates subnets one at a time", () => {
        const subnets = stack.ofType("azure-native:network:Subnet");
        assert.deepEqual(subnets.map((s) => s.input("addressPrefix")).sort(), ["10.50.0.0/20", "10.50.16.0/24", "10.50.20.0/22"]);
        const nsgIds = new Set<string>();
        for (const subnet of subnets) {
            assert.equal(subnet.input("defaultOutboundAccess"), false, `${subnet.name} must not have default outbound access`);
            const nsgId = String(subnet.input("networkSecurityGroup.id"));
            assert.match(nsgId, /\/networkSecurityGroups\/nsg-vnet-test-/);
            nsgIds.add(nsgId);
        }
        assert.equal(nsgIds.size, 3);
        const [first, second, third] = subnets;
        assert.ok(second.dependsOn(first) && third.dependsOn(second), "subnet writes are serialised");
        const peSubnet = subnets.find((s) => s.input("subnetName") === "snet-private-endpoints")!;
        assert.equal(peSubnet.input("privateEndpointNetworkPolicies"), "Enabled", "NSGs apply to private endpoints");
    });

    it("denies internet inbound on every subnet and opens nothing by default", () => {
        for (const nsg of stack.ofType("azure-native:network:NetworkSecurityGroup")) {
            const rules = nsg.input("securityRules") as { access: string; direction: string; sourceAddressPrefix: string }[];
            assert.ok(rules.some((r) => r.access === "Deny" && r.direction === "Inbound" && r.sourceAddressPrefix === "Internet"), nsg.name);
            assert.ok(!rules.some((r) => r.access === "Allow" && r.sourceAddressPrefix === "Internet"), `${nsg.name} allows internet inbound`);
        }
    });

    it("creates the private DNS zones of Key Vault, blob, file, ACR and Azure ML, each linked to the VNet", () => {
        const zones = stack.ofType("azure-native:privatedns:PrivateZone");
        assert.deepEqual(
            zones.map((z) => z.input("privateZoneName")).sort(),
            [
                "privatelink.api.azureml.ms",
                "privatelink.azurecr.io",
                "privatelink.blob.core.windows.net",
                "privatelink.file.core.windows.net",
                "privatelink.notebooks.azure.net",
                "privatelink.vaultcore.azure.net",
            ],
        );
        assert.deepEqual(Object.values(PRIVATE_DNS_ZONES).sort(), zones.map((z) => z.input("privateZoneName")).sort());
        for (const zone of zones) {
            assert.equal(zone.input("location"), "global");
            const link = stack.ofType("azure-native:privatedns:VirtualNetworkLink").find((l) => l.input("privateZoneName") === zone.input("privateZoneName"));
            assert.ok(link, `zone ${String(zone.input("privateZoneName"))} is not linked`);
            assert.equal(link.input("virtualNetwork.id"), VNET_ID);
            assert.equal(link.input("registrationEnabled"), false);
        }
    });

    it("gives a resource a private endpoint in the endpoint subnet, parented to its owner, with its DNS zone group", () => {
        const { endpoint, zoneGroup } = privateEndpointFor(stack, `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv-x`, "vault");
        assert.equal(endpoint.input("subnet.id"), `${VNET_ID}/subnets/snet-private-endpoints`);
        assert.equal(endpoint.input("privateEndpointName"), "pe-kv-x-vault");
        assert.match(String(endpoint.parent), /amlmesh:test:Owner::owner$/);
        assert.deepEqual(zonesOf(zoneGroup), ["privatelink.vaultcore.azure.net"]);
        const links = stack.ofType("azure-native:privatedns:VirtualNetworkLink");
        assert.ok(links.every((link) => zoneGroup.dependsOn(link)), "records are written once the zones resolve in the VNet");
    });

    it("registers an Azure ML workspace endpoint in both the API and the notebooks zones", () => {
        const { zoneGroup } = privateEndpointFor(stack, `${RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-x`, "amlworkspace");
        assert.deepEqual(zonesOf(zoneGroup), ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]);
    });

    it("opens only the listed ports from the internet, only on the AKS node subnet, for a public edge", async () => {
        const open = await runComponents(() => network([443]));
        for (const nsg of open.ofType("azure-native:network:NetworkSecurityGroup")) {
            const allows = (nsg.input("securityRules") as { access: string; sourceAddressPrefix: string; destinationPortRanges?: string[] }[]).filter(
                (r) => r.access === "Allow" && r.sourceAddressPrefix === "Internet",
            );
            if (String(nsg.input("networkSecurityGroupName")).endsWith("aks-nodes")) assert.deepEqual(allows.map((r) => r.destinationPortRanges), [["443"]]);
            else assert.equal(allows.length, 0, nsg.name);
        }
    });
});
