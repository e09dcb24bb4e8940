/**
 * The platform network: one VNet with a subnet per role, an NSG on every subnet, the private
 * DNS zones of every Private Link service the platform uses (linked to the VNet), and the one
 * helper that puts any resource on the VNet through a private endpoint with its DNS records.
 */
import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as pulumi from "@pulumi/pulumi";
import type * as inputs from "@pulumi/azure-native/types/input";
import type { AzureContext } from "./context";

/** Private DNS zones (Azure public cloud) of the Private Link services the platform uses. */
export const PRIVATE_DNS_ZONES = {
    keyVault: "privatelink.vaultcore.azure.net",
    blob: "privatelink.blob.core.windows.net",
    file: "privatelink.file.core.windows.net",
    containerRegistry: "privatelink.azurecr.io",
    mlApi: "privatelink.api.azureml.ms",
    mlNotebooks: "privatelink.notebooks.azure.net",
} as const;

export type PrivateDnsZoneKey = keyof typeof PRIVATE_DNS_ZONES;

/**
 * Private Link sub-resources (`groupIds`) and the zones their records are registered in. An
 * Azure ML workspace endpoint needs two zones (API and notebooks); a registry's data endpoints
 * (`<registry>.<region>.data.azurecr.io`) land in the same zone as its login server.
 */
export const PRIVATE_LINK_GROUPS = {
    vault: ["keyVault"],
    blob: ["blob"],
    file: ["file"],
    registry: ["containerRegistry"],
    amlworkspace: ["mlApi", "mlNotebooks"],
} as const satisfies Record<string, readonly PrivateDnsZoneKey[]>;

export type PrivateLinkGroup = keyof typeof PRIVATE_LINK_GROUPS;

export interface PrivateEndpointRequest {
    /** Name of the requesting component; the endpoint's resource names start with it. */
    name: string;
    /** ARM ID of the resource that gets the endpoint. */
    resourceId: pulumi.Input<string>;
    /** Azure name of that resource; the endpoint is named `pe-<resourceName>-<groupId>`. */
    resourceName: pulumi.Input<string>;
    /** Private Link sub-resource to expose. */
    groupId: PrivateLinkGroup;
}

export interface PrivateEndpointResources {
    endpoint: network.PrivateEndpoint;
    dnsZoneGroup: network.PrivateDnsZoneGroup;
}

/**
 * What a component needs from the network to put its resource on the VNet. Components depend
 * on this interface, not on `Network`, so tests can hand them any implementation.
 */
export interface PrivateLinks {
    /** Creates a private endpoint for `request.resourceId` (child of `owner`) with its DNS zone group. */
    privateEndpoint(owner: pulumi.ComponentResource, request: PrivateEndpointRequest): PrivateEndpointResources;
}

export type SubnetRole = "aksNodes" | "privateEndpoints" | "mlCompute";

export interface NetworkArgs {
    context: AzureContext;
    /** Azure name of the VNet (`vnet-aml-prod`). */
    vnetName: string;
    /** VNet address space (CIDR). */
    addressSpace: string;
    /** Subnet CIDRs by role; they are created in this order, one at a time. */
    subnets: Record<SubnetRole, string>;
    /**
     * TCP ports the AKS node subnet accepts from the internet, for a public edge load
     * balancer (`edge.exposure: public`). Empty (the default) keeps every subnet closed to the
     * internet.
     */
    publicInboundPorts?: number[];
}

export interface SubnetOutputs {
    id: pulumi.Output<string>;
    name: pulumi.Output<string>;
    addressPrefix: string;
}

const SUBNET_NAMES: Record<SubnetRole, string> = {
    aksNodes: "snet-aks-nodes",
    privateEndpoints: "snet-private-endpoints",
    mlCompute: "snet-ml-compute",
};

export class Network extends pulumi.ComponentResource implements PrivateLinks {
    readonly vnet: network.VirtualNetwork;
    readonly vnetId: pulumi.Output<string>;
    readonly subnets: Record<SubnetRole, SubnetOutputs>;
    /** Zone resources by key; each is linked to the VNet. */
    readonly zones: Record<PrivateDnsZoneKey, privatedns.PrivateZone>;
    private readonly zoneLinks: privatedns.VirtualNetworkLink[] = [];
    private readonly context: AzureContext;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:Network", name, {}, opts);
        const { context } = args;
        this.context = context;
        const common = { resourceGroupName: context.resourceGroupName, location: context.location, tags: context.tags };

        this.vnet = new network.VirtualNetwork(
            `${name}-vnet`,
            { ...common, virtualNetworkName: args.vnetName, addressSpace: { addressPrefixes: [args.addressSpace] } },
            // Subnets are separate resources; the VNet must not try to own them.
            { parent: this, ignoreChanges: ["subnets"] },
        );
        this.vnetId = this.vnet.id;

        const subnets = {} as Record<SubnetRole, SubnetOutputs>;
        let previous: pulumi.Resource | undefined;
        for (const role of Object.keys(SUBNET_NAMES) as SubnetRole[]) {
            const subnetName = SUBNET_NAMES[role];
            const nsg = new network.NetworkSecurityGroup(
                `${name}-nsg-${subnetName.replace(/^snet-/, "")}`,
                { ...common, networkSecurityGroupName: `nsg-${args.vnetName}-${subnetName.replace(/^snet-/, "")}`, securityRules: securityRules(role, args) },
                { parent: this },
            );
            // Azure serialises subnet writes on a VNet; creating them one after another avoids
            // AnotherOperationInProgress.
            const subnet: network.Subnet = new network.Subnet(
                `${name}-${subnetName}`,
                {
                    resourceGroupName: context.resourceGroupName,
                    virtualNetworkName: this.vnet.name,
                    subnetName,
                    addressPrefix: args.subnets[role],
                    networkSecurityGroup: { id: nsg.id },
                    // No implicit internet egress: outbound leaves only through the AKS load
                    // balancer (explicit) or not at all.
                    defaultOutboundAccess: false,
                    // NSGs (and route tables) apply to private endpoints too.
                    privateEndpointNetworkPolicies: role === "privateEndpoints" ? "Enabled" : "Disabled",
                },
                { parent: this, dependsOn: previous ? [previous] : [] },
            );
            previous = subnet;
            subnets[role] = { id: subnet.id, name: subnet.name.apply((n) => n ?? subnetName), addressPrefix: args.subnets[role] };
        }
        this.subnets = subnets;

        const zones = {} as Record<PrivateDnsZoneKey, privatedns.PrivateZone>;
        for (const [key, zoneName] of Object.entries(PRIVATE_DNS_ZONES) as [PrivateDnsZoneKey, string][]) {
            const zone = new privatedns.PrivateZone(
                `${name}-zone-${key}`,
                { resourceGroupName: context.resourceGroupName, location: "global", privateZoneName: zoneName, tags: context.tags },
                { parent: this },
            );
            this.zoneLinks.push(
                new privatedns.VirtualNetworkLink(
                    `${name}-zone-${key}-link`,
                    {
                        resourceGroupName: context.resourceGroupName,
                        location: "global",
                        privateZoneName: zone.name,
                        virtualNetworkLinkName: `link-${args.vnetName}`,
                        virtualNetwork: { id: this.vnet.id },
                        registrationEnabled: false,
                        tags: context.tags,
                    },
                    { parent: zone },
                ),
            );
            zones[key] = zone;
        }
        this.zones = zones;

        this.registerOutputs({
            vnetId: this.vnetId,
            subnetIds: Object.fromEntries(Object.entries(subnets).map(([role, subnet]) => [role, subnet.id])),
        });
    }

    privateEndpoint(owner: pulumi.ComponentResource, request: PrivateEndpointRequest): PrivateEndpointResources {
        const { context } = this;
        const base = `${request.name}-pe-${request.groupId}`;
        const endpointName = pulumi.interpolate`pe-${request.resourceName}-${request.groupId}`;
        const endpoint = new network.PrivateEndpoint(
            base,
            {
                resourceGroupName: context.resourceGroupName,
                location: context.location,
                tags: context.tags,
                privateEndpointName: endpointName,
                customNetworkInterfaceName: pulumi.interpolate`${endpointName}-nic`,
                subnet: { id: this.subnets.privateEndpoints.id },
                privateLinkServiceConnections: [{ name: endpointName, privateLinkServiceId: request.resourceId, groupIds: [request.groupId] }],
            },
            { parent: owner },
        );
        const dnsZoneGroup = new network.PrivateDnsZoneGroup(
            `${base}-dns`,
            {
                resourceGroupName: context.resourceGroupName,
                privateEndpointName: endpoint.name,
                privateDnsZoneGroupName: "default",
                privateDnsZoneConfigs: PRIVATE_LINK_GROUPS[request.groupId].map((key) => ({
                    name: PRIVATE_DNS_ZONES[key].replace(/\./g, "-"),
                    privateDnsZoneId: this.zones[key].id,
                })),
            },
            // Records are only useful once the zones resolve inside the VNet.
            { parent: endpoint, dependsOn: this.zoneLinks },
        );
        return { endpoint, dnsZoneGroup };
    }
}

/** Inbound rules beyond Azure's defaults (VNet and load-balancer probes in, everything else denied). */
function securityRules(role: SubnetRole, args: NetworkArgs): inputs.network.SecurityRuleArgs[] {
    const rules: inputs.network.SecurityRuleArgs[] = [];
    const ports = args.publicInboundPorts ?? [];
    if (role === "aksNodes" && ports.length > 0) {
        rules.push({
            name: "allow-internet-edge",
            description: "Public edge load balancer (NGINX ingress) only",
            priority: 100,
            direction: "Inbound",
            access: "Allow",
            protocol: "Tcp",
            sourceAddressPrefix: "Internet",
            sourcePortRange: "*",
            destinationAddressPrefix: "*",
            destinationPortRanges: ports.map(String),
        });
    }
    rules.push({
        name: "deny-internet-inbound",
        description: "Nothing else from the internet reaches this subnet",
        priority: 4096,
        direction: "Inbound",
        access: "Deny",
        protocol: "*",
        sourceAddressPrefix: "Internet",
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "*",
    });
    return rules;
}
