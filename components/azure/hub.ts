/**
 * The bootstrap hub as the platform sees it. The hub (`npm run bootstrap`) exists before the
 * first `pulumi up`: its VNet holds the deploy runner, its private DNS zone will hold the AKS
 * API server's record, its Key Vault holds the edge certificate and its registry the edge
 * authorizer image. None of these can be made by the run that needs them (a private vault or
 * registry created by the same run cannot be filled before the pods that read it start).
 *
 * This component creates only the platform's side of the connection: the VNet peering both
 * ways (so the runner reaches the private API server, and the cluster the hub), private
 * endpoints for the hub vault and registry in the platform VNet (so the cluster reaches them
 * through its own `privatelink.*` zones), and the role assignments on hub resources.
 */
import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import type { AzureContext } from "./context";
import { RoleGrants } from "./grants";
import type { PrivateEndpointResources, PrivateLinks } from "./network";
import type { Principal } from "./principal";

export interface HubArgs {
    context: AzureContext;
    /** Azure names of the hub resources (from `platformNames(config).bootstrap`). */
    names: { resourceGroup: string; hubVnet: string; keyVault: string; registry: string; apiServerDnsZone: string };
    /** The platform VNet, peered with the hub. */
    platformVnet: { id: pulumi.Input<string>; name: pulumi.Input<string> };
    /** Where the private endpoints for the hub vault and registry go. */
    privateLinks: PrivateLinks;
}

/** ARM IDs of the hub resources, built from names (they exist before the program runs). */
export function hubResourceIds(subscriptionId: string, names: HubArgs["names"]) {
    const group = `/subscriptions/${subscriptionId}/resourceGroups/${names.resourceGroup}`;
    return {
        resourceGroup: group,
        vnet: `${group}/providers/Microsoft.Network/virtualNetworks/${names.hubVnet}`,
        keyVault: `${group}/providers/Microsoft.KeyVault/vaults/${names.keyVault}`,
        registry: `${group}/providers/Microsoft.ContainerRegistry/registries/${names.registry}`,
        apiServerDnsZone: `${group}/providers/Microsoft.Network/privateDnsZones/${names.apiServerDnsZone}`,
    };
}

export class Hub extends pulumi.ComponentResource {
    readonly vnetId: pulumi.Output<string>;
    readonly keyVault: { id: pulumi.Output<string>; name: string };
    readonly registry: { id: pulumi.Output<string>; name: string; loginServer: string };
    /** The bring-your-own private DNS zone for a private API server. */
    readonly apiServerDnsZoneId: pulumi.Output<string>;
    /** Both directions of the peering: the runner's path to the API server. */
    readonly peerings: network.VirtualNetworkPeering[];
    readonly vaultEndpoint: PrivateEndpointResources;
    readonly registryEndpoint: PrivateEndpointResources;
    private readonly grants: RoleGrants;

    constructor(name: string, args: HubArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:Hub", name, {}, opts);
        const { context, names } = args;
        const ids = pulumi.output(context.subscriptionId).apply((subscription) => hubResourceIds(subscription, names));
        this.vnetId = ids.vnet;
        this.keyVault = { id: ids.keyVault, name: names.keyVault };
        this.registry = { id: ids.registry, name: names.registry, loginServer: `${names.registry}.azurecr.io` };
        this.apiServerDnsZoneId = ids.apiServerDnsZone;

        const peering = { allowVirtualNetworkAccess: true, allowForwardedTraffic: false, allowGatewayTransit: false, useRemoteGateways: false };
        this.peerings = [
            new network.VirtualNetworkPeering(
                `${name}-platform-to-hub`,
                {
                    ...peering,
                    resourceGroupName: context.resourceGroupName,
                    virtualNetworkName: args.platformVnet.name,
                    virtualNetworkPeeringName: `to-${names.hubVnet}`,
                    remoteVirtualNetwork: { id: ids.vnet },
                },
                { parent: this },
            ),
            new network.VirtualNetworkPeering(
                `${name}-hub-to-platform`,
                {
                    ...peering,
                    resourceGroupName: names.resourceGroup,
                    virtualNetworkName: names.hubVnet,
                    virtualNetworkPeeringName: pulumi.interpolate`to-${args.platformVnet.name}`,
                    remoteVirtualNetwork: { id: args.platformVnet.id },
                },
                { parent: this },
            ),
        ];

        this.vaultEndpoint = args.privateLinks.privateEndpoint(this, { name: `${name}-kv`, resourceId: ids.keyVault, resourceName: names.keyVault, groupId: "vault" });
        this.registryEndpoint = args.privateLinks.privateEndpoint(this, {
            name: `${name}-cr`,
            resourceId: ids.registry,
            resourceName: names.registry,
            groupId: "registry",
        });
        this.grants = new RoleGrants(this, name, context);
        this.registerOutputs({ vnetId: this.vnetId, apiServerDnsZoneId: this.apiServerDnsZoneId });
    }

    /** Read access to one secret of the hub vault (a certificate's secret carries its key). */
    grantSecretRead(principal: Principal, secretName: string): pulumi.Resource {
        return this.grants.grant("Key Vault Secrets User", principal, pulumi.interpolate`${this.keyVault.id}/secrets/${secretName}`, {
            qualifier: `secret-${secretName}`,
            scopeLabel: `secret ${secretName} of hub Key Vault ${this.keyVault.name}`,
        });
    }

    /** Image pulls from the hub registry. */
    grantPull(principal: Principal): pulumi.Resource {
        return this.grants.grant("AcrPull", principal, this.registry.id, { scopeLabel: `hub registry ${this.registry.name}` });
    }
}
