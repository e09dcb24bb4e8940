/**
 * The Azure ML workspace and its training compute. The workspace runs as its system identity,
 * reaches its storage with that identity (no account keys), sits behind a private endpoint
 * (public access per environment), isolates managed compute in an Azure ML managed network,
 * and sends diagnostics to Log Analytics. The compute cluster scales to zero, has no public
 * IP, no SSH and its own user-assigned identity (the identity of AML jobs).
 */
import type * as authorization from "@pulumi/azure-native/authorization";
import * as machinelearningservices from "@pulumi/azure-native/machinelearningservices";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import type { AzureContext } from "./context";
import { RoleGrants } from "./grants";
import type { DiagnosticsSink } from "./monitoring";
import type { PrivateLinks } from "./network";
import { systemIdentityPrincipal, userAssignedIdentityRef, type Principal, type UserAssignedIdentityRef } from "./principal";

export interface MlComputeClusterSpec {
    /** Azure ML compute name (2-16 characters: letters, digits, '-'). */
    name: string;
    vmSize: string;
    /** Upper bound; the lower bound is always 0. */
    maxNodes: number;
    idleMinutesBeforeScaleDown: number;
    /** Azure name of the cluster's user-assigned identity. */
    identityName: string;
}

export interface MlWorkspaceArgs {
    context: AzureContext;
    /** Azure name of the workspace. */
    workspaceName: string;
    /** Display name in the studio. */
    friendlyName: string;
    /** Associated resources (ARM IDs). The Key Vault and storage account cannot change later. */
    storageAccountId: pulumi.Input<string>;
    keyVaultId: pulumi.Input<string>;
    applicationInsightsId: pulumi.Input<string>;
    containerRegistryId: pulumi.Input<string>;
    /** Public endpoint of the workspace (studio, API); Disabled outside dev. */
    publicNetworkAccess: "Enabled" | "Disabled";
    /** Managed network outbound mode of the workspace's managed compute. */
    isolationMode: "AllowInternetOutbound" | "AllowOnlyApprovedOutbound";
    /**
     * AllowOnlyApprovedOutbound: host names (`pypi.org`, `*.anaconda.com`) the managed network may
     * reach, as FQDN outbound rules. Azure ML adds its own required rules; package feeds for
     * environment builds are not among them. Any entry makes Azure ML deploy an Azure Firewall.
     */
    approvedOutboundFqdns?: string[];
    /** SKU of that firewall. */
    firewallSku?: "Basic" | "Standard";
    /** High-business-impact workspace (encrypted local scratch, reduced diagnostics collection). */
    highBusinessImpact: boolean;
    computeCluster: MlComputeClusterSpec;
    /**
     * Build environment images on the compute cluster instead of ACR Tasks; needed whenever the
     * registry is behind a private endpoint or a firewall (ACR Tasks cannot reach it then).
     */
    buildImagesOnComputeCluster: boolean;
    privateLinks: PrivateLinks;
    diagnostics: DiagnosticsSink;
    /** Resources the workspace must wait for (its associated resources' private endpoints). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class MlWorkspace extends pulumi.ComponentResource {
    readonly workspace: machinelearningservices.Workspace;
    readonly computeCluster: machinelearningservices.Compute;
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    /** The workspace's regional discovery endpoint. */
    readonly discoveryUrl: pulumi.Output<string>;
    /** `azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/…` */
    readonly mlflowTrackingUri: pulumi.Output<string>;
    /** The workspace's system-assigned identity. */
    readonly systemIdentity: Principal;
    /** The compute cluster's identity: what AML jobs run as. */
    readonly computeIdentity: UserAssignedIdentityRef;
    private readonly grants: RoleGrants;
    private readonly workspaceName: string;
    /** The stack's resource group, where the platform's custom roles are defined. */
    private readonly resourceGroupId: pulumi.Output<string>;

    constructor(name: string, args: MlWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:MlWorkspace", name, {}, opts);
        const { context } = args;
        const fqdns = args.approvedOutboundFqdns ?? [];
        if (fqdns.length > 0 && args.isolationMode !== "AllowOnlyApprovedOutbound") {
            throw new Error(`MlWorkspace ${name}: outbound FQDN rules need isolationMode AllowOnlyApprovedOutbound`);
        }
        this.workspaceName = args.workspaceName;
        this.resourceGroupId = pulumi.interpolate`/subscriptions/${context.subscriptionId}/resourceGroups/${context.resourceGroupName}`;
        const common = { resourceGroupName: context.resourceGroupName, location: context.location, tags: context.tags };

        this.workspace = new machinelearningservices.Workspace(
            `${name}-workspace`,
            {
                ...common,
                workspaceName: args.workspaceName,
                friendlyName: args.friendlyName,
                kind: "Default",
                sku: { name: "Basic", tier: "Basic" },
                identity: { type: "SystemAssigned" },
                storageAccount: args.storageAccountId,
                keyVault: args.keyVaultId,
                applicationInsights: args.applicationInsightsId,
                containerRegistry: args.containerRegistryId,
                // The workspace reaches its storage with its identity: the account has no keys.
                systemDatastoresAuthMode: "identity",
                publicNetworkAccess: args.publicNetworkAccess,
                allowPublicAccessWhenBehindVnet: false,
                managedNetwork: {
                    isolationMode: args.isolationMode,
                    ...(fqdns.length > 0
                        ? {
                              firewallSku: args.firewallSku ?? "Standard",
                              outboundRules: Object.fromEntries(fqdns.map((fqdn) => [outboundRuleName(fqdn), { type: "FQDN" as const, category: "UserDefined", destination: fqdn }])),
                          }
                        : {}),
                },
                // Create the managed network with the workspace, not on the first job.
                provisionNetworkNow: true,
                serverlessComputeSettings: { serverlessComputeNoPublicIP: true },
                hbiWorkspace: args.highBusinessImpact,
                v1LegacyMode: false,
                ...(args.buildImagesOnComputeCluster ? { imageBuildCompute: args.computeCluster.name } : {}),
            },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.id = this.workspace.id;
        this.name = this.workspace.name;
        this.discoveryUrl = this.workspace.discoveryUrl.apply((url) => url ?? `https://${context.location}.api.azureml.ms/discovery`);
        this.mlflowTrackingUri = this.workspace.mlFlowTrackingUri;
        this.systemIdentity = systemIdentityPrincipal(`ML workspace ${args.workspaceName}`, this.workspace.identity, "ml-workspace");

        args.privateLinks.privateEndpoint(this, { name, resourceId: this.workspace.id, resourceName: args.workspaceName, groupId: "amlworkspace" });
        args.diagnostics.diagnostics(this, { name, resourceId: this.workspace.id });

        // --- Training compute ---------------------------------------------------------------------
        const spec = args.computeCluster;
        const computeIdentity = new managedidentity.UserAssignedIdentity(`${name}-compute-identity`, { ...common, resourceName: spec.identityName }, { parent: this });
        this.computeIdentity = userAssignedIdentityRef(computeIdentity, "ml-compute");
        this.computeCluster = new machinelearningservices.Compute(
            `${name}-compute-cluster`,
            {
                ...common,
                workspaceName: this.workspace.name,
                computeName: spec.name,
                identity: { type: "UserAssigned", userAssignedIdentities: [computeIdentity.id] },
                properties: {
                    computeType: "AmlCompute",
                    description: "Training cluster (scales to zero)",
                    // No SSH keys or passwords on the nodes.
                    disableLocalAuth: true,
                    properties: {
                        vmSize: spec.vmSize,
                        vmPriority: "Dedicated",
                        osType: "Linux",
                        scaleSettings: { minNodeCount: 0, maxNodeCount: spec.maxNodes, nodeIdleTimeBeforeScaleDown: `PT${spec.idleMinutesBeforeScaleDown}M` },
                        // Nodes live in the workspace's managed network, without public IPs or SSH.
                        enableNodePublicIp: false,
                        remoteLoginPortPublicAccess: "Disabled",
                    },
                },
            },
            { parent: this },
        );

        this.grants = new RoleGrants(this, name, context);
        this.registerOutputs({ id: this.id, name: this.name, discoveryUrl: this.discoveryUrl, mlflowTrackingUri: this.mlflowTrackingUri });
    }

    /** Work in the workspace: run jobs, register models, deploy endpoints ("AzureML Data Scientist"); cannot create compute or change the workspace. */
    grantDataScientist(principal: Principal): authorization.RoleAssignment {
        return this.grants.grant("AzureML Data Scientist", principal, this.workspace.id, { scopeLabel: `ML workspace ${this.workspaceName}` });
    }

    /**
     * Get the aml_token of any online endpoint of the workspace, and nothing else (the platform's
     * custom role "AzureML Online Endpoint Token Reader", assigned at the workspace): what the edge's
     * token swap needs to call Kubernetes online endpoints on a caller's behalf.
     */
    grantOnlineEndpointToken(principal: Principal): authorization.RoleAssignment {
        return this.grants.grantCustom("AzureML Online Endpoint Token Reader", this.resourceGroupId, principal, this.workspace.id, { scopeLabel: `ML workspace ${this.workspaceName}` });
    }

    /** Create, manage and delete compute in the workspace ("AzureML Compute Operator"). */
    grantComputeOperator(principal: Principal): authorization.RoleAssignment {
        return this.grants.grant("AzureML Compute Operator", principal, this.workspace.id, { scopeLabel: `ML workspace ${this.workspaceName}` });
    }
}

/** Name of the outbound rule for a host (`*.anaconda.com` → `allow-any-anaconda-com`). */
export function outboundRuleName(fqdn: string): string {
    return `allow-${fqdn.replace(/^\*\./, "any-").replace(/[^a-z0-9]+/g, "-")}`;
}
