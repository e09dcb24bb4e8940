/**
 * The platform container registry (Azure ML environments and the platform's own images):
 * Entra ID pulls only (admin user and anonymous pull disabled). Always Premium, the only SKU
 * with a firewall and private endpoints: the cluster pulls through a private endpoint with
 * dedicated data endpoints; the public endpoint is either off (images then cannot be exported
 * either) or, when developer ranges are configured (dev only), behind a default-deny firewall
 * that admits them.
 */
import type * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as pulumi from "@pulumi/pulumi";
import type { AzureContext } from "./context";
import { RoleGrants } from "./grants";
import type { DiagnosticsSink } from "./monitoring";
import type { PrivateLinks } from "./network";
import type { Principal } from "./principal";
import { allowedRanges, type PublicEndpointAccess } from "./public-access";

export interface ContainerRegistryArgs {
    context: AzureContext;
    /** Azure name (globally unique, 5-50 letters and digits). */
    registryName: string;
    /** The public endpoint: off, or open to an allowlist behind a default-deny firewall. */
    publicAccess: PublicEndpointAccess;
    /** Zone-redundant registry (Premium). */
    zoneRedundant: boolean;
    privateLinks: PrivateLinks;
    diagnostics: DiagnosticsSink;
}

export class ContainerRegistry extends pulumi.ComponentResource {
    readonly registry: containerregistry.Registry;
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    /** `<name>.azurecr.io` */
    readonly loginServer: pulumi.Output<string>;
    private readonly grants: RoleGrants;
    private readonly registryName: string;

    constructor(name: string, args: ContainerRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:ContainerRegistry", name, {}, opts);
        const { context } = args;
        const isPrivate = args.publicAccess.mode === "disabled";
        this.registryName = args.registryName;

        this.registry = new containerregistry.Registry(
            `${name}-registry`,
            {
                resourceGroupName: context.resourceGroupName,
                location: context.location,
                tags: context.tags,
                registryName: args.registryName,
                sku: { name: "Premium" },
                adminUserEnabled: false,
                anonymousPullEnabled: false,
                publicNetworkAccess: isPrivate ? "Disabled" : "Enabled",
                networkRuleSet: { defaultAction: "Deny", ipRules: allowedRanges(args.publicAccess).map((iPAddressOrRange) => ({ action: "Allow", iPAddressOrRange })) },
                // Azure ML builds environment images through the trusted-services path.
                networkRuleBypassOptions: "AzureServices",
                dataEndpointEnabled: true,
                zoneRedundancy: args.zoneRedundant ? "Enabled" : "Disabled",
                // Images cannot be imported/exported to other registries (exfiltration); Azure
                // allows this only once the public endpoint is off.
                ...(isPrivate ? { policies: { exportPolicy: { status: "disabled" } } } : {}),
            },
            { parent: this },
        );
        this.id = this.registry.id;
        this.name = this.registry.name;
        this.loginServer = this.registry.loginServer;

        args.privateLinks.privateEndpoint(this, { name, resourceId: this.registry.id, resourceName: args.registryName, groupId: "registry" });
        args.diagnostics.diagnostics(this, { name, resourceId: this.registry.id });

        this.grants = new RoleGrants(this, name, context);
        this.registerOutputs({ id: this.id, name: this.name, loginServer: this.loginServer });
    }

    /** Pull images ("AcrPull") from this registry. */
    grantPull(principal: Principal): authorization.RoleAssignment {
        return this.grants.grant("AcrPull", principal, this.registry.id, { scopeLabel: `container registry ${this.registryName}` });
    }
}
