/**
 * The AKS cluster: managed identities only (user-assigned control-plane and kubelet
 * identities), Entra ID authentication with Azure RBAC for Kubernetes authorization, local
 * accounts disabled, OIDC issuer and workload identity, the Key Vault Secrets Store CSI add-on
 * with rotation, Azure CNI overlay with a network policy engine, autoscaling system and user
 * pools, a private or IP-fenced API server, automatic upgrades inside a maintenance window,
 * and diagnostics.
 *
 * It also builds the Kubernetes provider the rest of the program uses. The cluster has no
 * static credentials: the provider's kubeconfig runs `kubelogin` (exec plugin) to get an Entra
 * token for the identity running `pulumi up`, which this component grants cluster admin on
 * this cluster only (see `deployer`).
 */
import type * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { Provider as KubernetesProvider } from "@pulumi/kubernetes/provider";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import type { AzureContext } from "./context";
import { RoleGrants } from "./grants";
import type { DiagnosticsSink } from "./monitoring";
import { userAssignedIdentityRef, type Principal, type UserAssignedIdentityRef } from "./principal";

/** Entra application of the AKS API server (the same in every tenant); the token audience. */
export const AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

export interface NodePoolSpec {
    /** VM size (`Standard_D4ds_v5`). */
    vmSize: string;
    /** Autoscaler lower bound (also the initial node count). */
    minCount: number;
    /** Autoscaler upper bound. */
    maxCount: number;
}

export type ApiServerExposure =
    /**
     * API server only on the VNet (private cluster) with a bring-your-own private DNS zone: the
     * AKS-managed one sits in the locked node resource group, linked to the cluster VNet only,
     * so nothing outside that VNet (the deploy runner) could resolve the API server.
     */
    | {
          access: "private";
          /** `privatelink.<region>.azmk8s.io` zone, linked to the runner's VNet. */
          privateDnsZoneId: pulumi.Input<string>;
          /** The cluster VNet; AKS links the zone to it. */
          vnetId: pulumi.Input<string>;
      }
    /** Public API server reachable only from these CIDRs. */
    | { access: "public"; authorizedRanges: string[] };

export type WeekDay = "Monday" | "Tuesday" | "Wednesday" | "Thursday" | "Friday" | "Saturday" | "Sunday";

/** Channels on which AKS upgrades the minor version by itself (the others keep the configured minor). */
export function channelMovesMinorVersion(channel: AksUpgradePolicy["channel"]): boolean {
    return channel === "rapid" || channel === "stable";
}

export interface AksUpgradePolicy {
    /** Kubernetes auto-upgrade channel. */
    channel: "patch" | "stable" | "rapid" | "node-image";
    /** Node OS image channel. */
    nodeOsChannel: "NodeImage" | "SecurityPatch";
    /** Weekly window in which both kinds of upgrades may run (UTC). */
    maintenanceWindow: { dayOfWeek: WeekDay; startHourUtc: number; durationHours: number };
}

/** How `kubelogin` obtains the deployer's token (`--login`); `AAD_LOGIN_METHOD` overrides it at run time. */
export type KubeloginMode = "azurecli" | "workloadidentity" | "msi" | "azd" | "devicecode" | "interactive";

export interface AksClusterArgs {
    context: AzureContext;
    /** Azure name of the cluster. */
    clusterName: string;
    /** DNS prefix of the API server FQDN. */
    dnsPrefix: string;
    /** Name of the AKS-managed node resource group (locked read-only). */
    nodeResourceGroupName: string;
    /**
     * Kubernetes minor (or patch) version. With the `rapid` and `stable` channels AKS moves the
     * minor version itself, so this is only the version the cluster is created with.
     */
    kubernetesVersion: string;
    /** Control-plane tier; Standard and Premium carry the uptime SLA. */
    skuTier: "Free" | "Standard" | "Premium";
    apiServer: ApiServerExposure;
    /** Subnet the node pools live in. */
    nodeSubnetId: pulumi.Input<string>;
    systemPool: NodePoolSpec;
    userPool: NodePoolSpec;
    /** Availability zones for both pools; empty for regional. */
    availabilityZones: string[];
    /** Azure CNI overlay settings. */
    networking: {
        podCidr: string;
        serviceCidr: string;
        dnsServiceIp: string;
        /** Network policy engine; cilium also selects the Cilium dataplane. */
        policy: "cilium" | "calico" | "azure";
    };
    upgrades: AksUpgradePolicy;
    /** Entra groups that get "Azure Kubernetes Service RBAC Cluster Admin" on this cluster. */
    adminGroupObjectIds: string[];
    /**
     * The identity running `pulumi up`. It gets "Azure Kubernetes Service RBAC Cluster Admin" on
     * this cluster so the program can create namespaces, CRDs and cluster roles (the mesh).
     */
    deployer: Principal;
    /** Azure names of the control-plane and kubelet managed identities. */
    identityNames: { controlPlane: string; kubelet: string };
    diagnostics: DiagnosticsSink;
    /** Secrets Store CSI driver poll interval for rotated secrets (default `2m`). */
    secretRotationInterval?: string;
    /** `kubelogin --login` mode written into the provider's kubeconfig (default `azurecli`). */
    kubeloginMode?: KubeloginMode;
    /** What must exist before `pulumi up` can reach the API server (the peering to the runner's VNet). */
    apiServerPath?: pulumi.Resource[];
}

export class AksCluster extends pulumi.ComponentResource {
    readonly cluster: containerservice.ManagedCluster;
    readonly id: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    /** The cluster's OIDC issuer URL, trusted by every workload identity's federated credential. */
    readonly oidcIssuerUrl: pulumi.Output<string>;
    /** Identity the kubelet pulls images with (grant it AcrPull on the registry). */
    readonly kubeletIdentity: UserAssignedIdentityRef;
    /** Identity of the AKS control plane (load balancers, node pools). */
    readonly controlPlaneIdentity: UserAssignedIdentityRef;
    /** Kubernetes provider for everything the program creates inside the cluster. */
    readonly provider: KubernetesProvider;
    /** The provider's kubeconfig (secret; it holds no credential, only the kubelogin exec plugin). */
    readonly kubeconfig: pulumi.Output<string>;
    private readonly grants: RoleGrants;
    private readonly clusterName: string;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:AksCluster", name, {}, opts);
        const { context } = args;
        this.clusterName = args.clusterName;
        const common = { resourceGroupName: context.resourceGroupName, location: context.location, tags: context.tags };

        // --- Identities (never a service principal with a secret) ------------------------------
        const controlPlane = new managedidentity.UserAssignedIdentity(
            `${name}-control-plane`,
            { ...common, resourceName: args.identityNames.controlPlane },
            { parent: this },
        );
        const kubelet = new managedidentity.UserAssignedIdentity(`${name}-kubelet`, { ...common, resourceName: args.identityNames.kubelet }, { parent: this });
        this.controlPlaneIdentity = userAssignedIdentityRef(controlPlane, "aks-control-plane");
        this.kubeletIdentity = userAssignedIdentityRef(kubelet, "aks-kubelet");

        // What the control plane needs before the cluster exists: assign the kubelet identity to
        // the node VMs, and place load balancers and NICs in the node subnet. Each at the one
        // resource concerned, not at the resource group.
        const setupGrants = new RoleGrants(this, `${name}-control-plane`, context);
        const prerequisites = [
            setupGrants.grant("Managed Identity Operator", this.controlPlaneIdentity.principal, kubelet.id, {
                scopeLabel: `kubelet identity ${args.identityNames.kubelet}`,
            }),
            setupGrants.grant("Network Contributor", this.controlPlaneIdentity.principal, args.nodeSubnetId, { scopeLabel: "AKS node subnet" }),
        ];
        if (args.apiServer.access === "private") {
            // A private cluster with its own zone: AKS writes the API server's record there and links it to the cluster VNet.
            prerequisites.push(
                setupGrants.grant("Private DNS Zone Contributor", this.controlPlaneIdentity.principal, args.apiServer.privateDnsZoneId, {
                    scopeLabel: "API server private DNS zone",
                }),
                setupGrants.grant("Network Contributor", this.controlPlaneIdentity.principal, args.apiServer.vnetId, { qualifier: "vnet", scopeLabel: "AKS VNet" }),
            );
        }

        // --- The cluster -------------------------------------------------------------------------
        const zones = args.availabilityZones.length > 0 ? { availabilityZones: args.availabilityZones } : {};
        const pool = (spec: NodePoolSpec, poolName: string, mode: "System" | "User") => ({
            name: poolName,
            mode,
            vmSize: spec.vmSize,
            count: spec.minCount,
            minCount: spec.minCount,
            maxCount: spec.maxCount,
            enableAutoScaling: true,
            ...zones,
            vnetSubnetID: args.nodeSubnetId,
            type: "VirtualMachineScaleSets",
            osType: "Linux",
            osSKU: "AzureLinux",
            enableNodePublicIP: false,
            upgradeSettings: { maxSurge: "33%" },
            // The system pool runs only critical add-ons; platform and model workloads go to the user pool.
            ...(mode === "System" ? { nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"] } : {}),
        });
        const apiServerAccessProfile =
            args.apiServer.access === "private"
                ? { enablePrivateCluster: true, privateDNSZone: args.apiServer.privateDnsZoneId, enablePrivateClusterPublicFQDN: false }
                : { enablePrivateCluster: false, authorizedIPRanges: args.apiServer.authorizedRanges };

        this.cluster = new containerservice.ManagedCluster(
            `${name}-cluster`,
            {
                ...common,
                resourceName: args.clusterName,
                dnsPrefix: args.dnsPrefix,
                kubernetesVersion: args.kubernetesVersion,
                sku: { name: "Base", tier: args.skuTier },
                nodeResourceGroup: args.nodeResourceGroupName,
                // Nobody edits the node resource group by hand; AKS owns it.
                nodeResourceGroupProfile: { restrictionLevel: "ReadOnly" },
                identity: { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] },
                identityProfile: { kubeletidentity: { resourceId: kubelet.id, clientId: kubelet.clientId, objectId: kubelet.principalId } },
                // Entra ID authentication, Azure RBAC authorization, no static admin kubeconfig.
                aadProfile: { managed: true, enableAzureRBAC: true, tenantID: context.tenantId },
                enableRBAC: true,
                disableLocalAccounts: true,
                oidcIssuerProfile: { enabled: true },
                securityProfile: { workloadIdentity: { enabled: true }, imageCleaner: { enabled: true, intervalHours: 168 } },
                addonProfiles: {
                    azureKeyvaultSecretsProvider: {
                        enabled: true,
                        config: { enableSecretRotation: "true", rotationPollInterval: args.secretRotationInterval ?? "2m" },
                    },
                },
                networkProfile: {
                    networkPlugin: "azure",
                    networkPluginMode: "overlay",
                    networkPolicy: args.networking.policy,
                    networkDataplane: args.networking.policy === "cilium" ? "cilium" : "azure",
                    podCidr: args.networking.podCidr,
                    serviceCidr: args.networking.serviceCidr,
                    dnsServiceIP: args.networking.dnsServiceIp,
                    loadBalancerSku: "standard",
                    outboundType: "loadBalancer",
                },
                apiServerAccessProfile,
                agentPoolProfiles: [pool(args.systemPool, "system", "System"), pool(args.userPool, "user", "User")],
                autoUpgradeProfile: { upgradeChannel: args.upgrades.channel, nodeOSUpgradeChannel: args.upgrades.nodeOsChannel },
                supportPlan: "KubernetesOfficial",
            },
            // The autoscaler owns the node counts after creation. On `rapid` and `stable` the
            // channel owns the minor version: after its first upgrade, sending the configured
            // version again would ask AKS for a downgrade, which it refuses.
            {
                parent: this,
                dependsOn: prerequisites,
                ignoreChanges: ["agentPoolProfiles[*].count", ...(channelMovesMinorVersion(args.upgrades.channel) ? ["kubernetesVersion"] : [])],
            },
        );
        this.id = this.cluster.id;
        this.name = this.cluster.name;
        this.oidcIssuerUrl = this.cluster.oidcIssuerProfile.apply((profile) => {
            if (!profile?.issuerURL) throw new Error(`AKS cluster ${args.clusterName} reported no OIDC issuer URL`);
            return profile.issuerURL;
        });

        // --- Upgrades inside the maintenance window ---------------------------------------------
        const window = args.upgrades.maintenanceWindow;
        for (const [configName, label] of [
            ["aksManagedAutoUpgradeSchedule", "upgrades"],
            ["aksManagedNodeOSUpgradeSchedule", "node-os-upgrades"],
        ] as const) {
            new containerservice.MaintenanceConfiguration(
                `${name}-${label}`,
                {
                    resourceGroupName: context.resourceGroupName,
                    resourceName: this.cluster.name,
                    configName,
                    maintenanceWindow: {
                        schedule: { weekly: { dayOfWeek: window.dayOfWeek, intervalWeeks: 1 } },
                        durationHours: window.durationHours,
                        startTime: `${String(window.startHourUtc).padStart(2, "0")}:00`,
                        utcOffset: "+00:00",
                    },
                },
                { parent: this.cluster },
            );
        }

        args.diagnostics.diagnostics(this, { name, resourceId: this.cluster.id });

        // --- Kubernetes authorization through Azure RBAC, at this cluster only -------------------
        this.grants = new RoleGrants(this, name, context);
        args.adminGroupObjectIds.forEach((objectId, i) =>
            this.grantClusterAdmin({ principalId: objectId, principalType: "Group", name: `admin-group-${i + 1}` }),
        );
        const deployerAdmin = this.grantClusterAdmin(args.deployer);

        // --- The provider for the rest of the program -------------------------------------------
        // `exec` format: the kubeconfig carries no token, only the kubelogin invocation. The call
        // waits for the cluster: an output-form invoke waits until the resources behind its inputs
        // have known IDs (and yields an unknown result while they don't, as in a first preview).
        const credentials = containerservice.listManagedClusterUserCredentialsOutput(
            { resourceGroupName: context.resourceGroupName, resourceName: this.cluster.name, format: "exec" },
            { parent: this },
        );
        this.kubeconfig = pulumi.secret(
            credentials.kubeconfigs.apply((kubeconfigs) => {
                const encoded = kubeconfigs[0]?.value;
                if (!encoded) throw new Error(`AKS cluster ${args.clusterName} returned no user kubeconfig`);
                return withKubeloginMode(Buffer.from(encoded, "base64").toString("utf8"), args.kubeloginMode ?? "azurecli", context.tenantId);
            }),
        );
        this.provider = new KubernetesProvider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig },
            // Kubernetes calls fail with 403 until the deployer's role assignment exists, and time
            // out until the runner's network reaches the API server.
            { parent: this, dependsOn: [deployerAdmin, ...(args.apiServerPath ?? [])] },
        );

        this.registerOutputs({ id: this.id, name: this.name, oidcIssuerUrl: this.oidcIssuerUrl, kubeletClientId: this.kubeletIdentity.clientId });
    }

    /** Full Kubernetes admin through Azure RBAC ("Azure Kubernetes Service RBAC Cluster Admin"), on this cluster only. */
    grantClusterAdmin(principal: Principal): authorization.RoleAssignment {
        return this.grants.grant("Azure Kubernetes Service RBAC Cluster Admin", principal, this.cluster.id, { scopeLabel: `AKS cluster ${this.clusterName}` });
    }

    /**
     * Lets the principal fetch a user kubeconfig ("Azure Kubernetes Service Cluster User Role")
     * and nothing else: its rights inside the cluster come from Kubernetes RBAC bindings.
     */
    grantClusterUser(principal: Principal): authorization.RoleAssignment {
        return this.grants.grant("Azure Kubernetes Service Cluster User Role", principal, this.cluster.id, { scopeLabel: `AKS cluster ${this.clusterName}` });
    }
}

/**
 * Rewrites every exec user of an AKS `exec` kubeconfig to
 * `kubelogin get-token --login <mode> --server-id <AKS server app> --tenant-id <tenant>`.
 * The kubeconfig AKS returns defaults to device-code login, which cannot run inside `pulumi up`.
 */
export function withKubeloginMode(kubeconfig: string, mode: KubeloginMode, tenantId: string): string {
    const config = parse(kubeconfig) as { users?: { name?: string; user?: { exec?: { command?: string; args?: string[] } } }[] };
    for (const entry of config.users ?? []) {
        const exec = entry.user?.exec;
        if (!exec || exec.command !== "kubelogin") continue;
        const given = exec.args ?? [];
        const flag = (names: string[]) => {
            const index = given.findIndex((arg) => names.includes(arg));
            return index >= 0 ? given[index + 1] : undefined;
        };
        exec.args = [
            "get-token",
            "--login",
            mode,
            "--server-id",
            flag(["--server-id"]) ?? AKS_SERVER_APP_ID,
            "--environment",
            flag(["--environment", "-e"]) ?? "AzurePublicCloud",
            "--tenant-id",
            tenantId,
        ];
    }
    return stringify(config);
}
