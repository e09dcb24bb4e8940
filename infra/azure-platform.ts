/**
 * Wiring of the Azure and Entra ID side of the platform: which component gets which config
 * values, and who is granted what on which resource. No resource settings live here; they are
 * in the components.
 *
 * `buildAzurePlatform` returns what the Kubernetes-side wiring (mesh, edge) and the outputs
 * contract read: the Kubernetes provider, the Key Vault, a factory for workload identities bound
 * to the cluster, the API's token facts, the registry's login server, the Azure ML inference
 * router, and the callers with their workload identities.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as azuread from "@pulumi/azuread";
import type { Provider } from "@pulumi/kubernetes/provider";
import type * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "../components/azure/aks-cluster";
import type { AzureContext } from "../components/azure/context";
import { ContainerRegistry } from "../components/azure/container-registry";
import { Hub } from "../components/azure/hub";
import { KeyVault } from "../components/azure/key-vault";
import { MlKubernetesCompute, type InferenceRouter, type MlNamespace } from "../components/azure/ml-kubernetes-compute";
import { MlStorage } from "../components/azure/ml-storage";
import { MlWorkspace } from "../components/azure/ml-workspace";
import { Monitoring } from "../components/azure/monitoring";
import { Network } from "../components/azure/network";
import type { PublicEndpointAccess } from "../components/azure/public-access";
import { principalTypeOf, type Principal } from "../components/azure/principal";
import { TeamIdentity } from "../components/azure/team-identity";
import { WorkloadIdentity } from "../components/azure/workload-identity";
import { AccessMatrix, type CallerAccess, type WorkloadIdentityFactory } from "../components/entra/access-matrix";
import { ApiApplication, type AppRoleInfo } from "../components/entra/api-application";
import { FEATURES_CONTAINER } from "../components/entra/role-grants";
import type { StackConfig } from "./config";
import { platformNames } from "./naming";
import { platformTags } from "./tags";

/** The cluster side of Azure ML, prepared before the ML extension is installed. */
export interface MlClusterPreparation {
    /** The namespace Azure ML deploys models into (meshed, default-deny). */
    namespace: MlNamespace;
    /** What the extension installs after: its own namespace and the router's TLS Secret. */
    extensionPrerequisites: pulumi.Resource[];
}

/** What the Kubernetes side provides the Azure side while it is being built. */
export interface AzurePlatformHooks {
    /** Called once the cluster and the Key Vault exist, before Azure ML is attached to the cluster. */
    prepareMlOnCluster(foundation: { kubernetesProvider: Provider; keyVault: KeyVault; resourceGroup: PlatformResourceGroup }): MlClusterPreparation;
}

/** Name of the Secret (in the `azureml` namespace) with the inference router's TLS certificate. */
export const INFERENCE_ROUTER_TLS_SECRET = "azureml-fe-tls";

export interface CallerWorkload {
    caller: string;
    namespace: string;
    serviceAccount: string;
    clientId: pulumi.Output<string>;
}

/** The platform resource group: created by the bootstrap, so the deployer can hold roles on it. */
export interface PlatformResourceGroup {
    id: pulumi.Output<string>;
    name: pulumi.Output<string>;
}

export interface AzurePlatform {
    resourceGroup: PlatformResourceGroup;
    /** The bootstrap hub: network path for the runner, edge certificate, authorizer image. */
    hub: Hub;
    /** The kubelet's AcrPull on the hub registry (authorizer pods wait for it). */
    hubKubeletPull: pulumi.Resource;
    monitoring: Monitoring;
    keyVault: KeyVault;
    workspace: MlWorkspace;
    cluster: AksCluster;
    /** Kubernetes provider for every object the program creates in the cluster. */
    kubernetesProvider: Provider;
    /** Creates a workload identity bound to the platform cluster. */
    workloadIdentity: WorkloadIdentityFactory;
    api: {
        clientId: pulumi.Output<string>;
        identifierUri: string;
        /** Accepted `iss` of v2 access tokens. */
        tokenIssuer: string;
        appRoles: AppRoleInfo[];
    };
    registryLoginServer: pulumi.Output<string>;
    ml: {
        kubernetesCompute: MlKubernetesCompute;
        inferenceRouter: InferenceRouter;
    };
    callers: CallerAccess[];
    callerWorkloads: CallerWorkload[];
    /** Each onboarded team's managed identity (federated with its listed ServiceAccounts). */
    teamIdentities: Map<string, TeamIdentity>;
}

export function buildAzurePlatform(config: StackConfig, hooks: AzurePlatformHooks): AzurePlatform {
    const names = platformNames(config);
    const tags = platformTags(config);
    const zoned = config.cluster.availabilityZones.length > 0;

    // Looked up, not created: Azure grants roles only on a scope that exists, and the deployer's
    // roles (RBAC Administrator above all) are granted on this group before the first run.
    const group = resources.getResourceGroupOutput({ resourceGroupName: names.resourceGroup });
    const resourceGroup: PlatformResourceGroup = { id: group.id, name: group.name };
    // One lookup of who is deploying where: the subscription (role definition IDs are
    // subscription-scoped) and the deployer's object ID and kind (a user locally, a service
    // principal or managed identity in CI; Azure rejects an assignment with the wrong kind).
    const client = authorization.getClientConfigOutput();
    const deployerKind = azuread.getDirectoryObjectOutput({ objectId: client.objectId }).type.apply(principalTypeOf);
    const context: AzureContext = {
        resourceGroupName: resourceGroup.name,
        location: config.location,
        tags,
        subscriptionId: client.subscriptionId,
        tenantId: config.tenantId,
    };
    const deployer: Principal = { principalId: client.objectId, principalType: deployerKind, name: "deployer" };

    // --- Foundations -------------------------------------------------------------------------
    const monitoring = new Monitoring("platform", {
        context,
        workspaceName: names.logAnalytics,
        appInsightsName: names.appInsights,
        retentionDays: config.monitoring.retentionDays,
        dailyQuotaGb: config.monitoring.dailyQuotaGb,
    });
    const network = new Network("platform", {
        context,
        vnetName: names.vnet,
        addressSpace: config.network.addressSpace,
        subnets: config.network.subnets,
        publicInboundPorts: config.edge.exposure === "public" ? [443] : [],
    });
    const shared = { context, privateLinks: network, diagnostics: monitoring };
    const hub = new Hub("hub", {
        context,
        names: names.bootstrap,
        platformVnet: { id: network.vnetId, name: network.vnet.name },
        privateLinks: network,
    });
    // Developer ranges (which the config admits in dev only) open default-deny firewalls;
    // without them there is no public endpoint.
    const publicAccess: PublicEndpointAccess =
        config.network.developerIpRanges.length > 0 ? { mode: "allowlist", ipRanges: config.network.developerIpRanges } : { mode: "disabled" };

    const keyVault = new KeyVault("platform", {
        ...shared,
        vaultNamePrefix: names.keyVaultPrefix,
        publicAccess,
        softDeleteRetentionDays: config.keyVault.softDeleteRetentionDays,
    });
    const registry = new ContainerRegistry("platform", {
        ...shared,
        registryName: names.containerRegistry,
        publicAccess,
        zoneRedundant: zoned,
    });
    const storage = new MlStorage("ml", { ...shared, accountName: names.storageAccount, containers: [FEATURES_CONTAINER], zoneRedundant: zoned });

    // --- AKS -----------------------------------------------------------------------------------
    const cluster = new AksCluster("platform", {
        context,
        diagnostics: monitoring,
        clusterName: names.aksCluster,
        dnsPrefix: names.aksDnsPrefix,
        nodeResourceGroupName: names.aksNodeResourceGroup,
        kubernetesVersion: config.cluster.kubernetesVersion,
        skuTier: config.cluster.skuTier,
        apiServer:
            config.cluster.apiServer.access === "private"
                ? { access: "private", privateDnsZoneId: hub.apiServerDnsZoneId, vnetId: network.vnetId }
                : { access: "public", authorizedRanges: config.cluster.apiServer.authorizedRanges },
        // The runner sits in the hub; a private API server is reachable only once the peering is up.
        apiServerPath: config.cluster.apiServer.access === "private" ? hub.peerings : [],
        nodeSubnetId: network.subnets.aksNodes.id,
        systemPool: config.cluster.systemPool,
        userPool: config.cluster.userPool,
        availabilityZones: config.cluster.availabilityZones,
        networking: {
            podCidr: config.network.podCidr,
            serviceCidr: config.network.serviceCidr,
            dnsServiceIp: config.network.dnsServiceIp,
            policy: config.cluster.networkPolicy,
        },
        upgrades: {
            channel: config.cluster.upgradeChannel,
            nodeOsChannel: config.cluster.nodeOsUpgradeChannel,
            maintenanceWindow: config.cluster.maintenanceWindow,
        },
        adminGroupObjectIds: config.cluster.adminGroupObjectIds,
        deployer,
        identityNames: { controlPlane: names.identity("aks-control-plane"), kubelet: names.identity("aks-kubelet") },
    });
    // Nodes pull the platform images (model servers) and the edge authorizer (hub) with the kubelet identity.
    registry.grantPull(cluster.kubeletIdentity.principal);
    const hubKubeletPull = hub.grantPull(cluster.kubeletIdentity.principal);

    const workloadIdentity: WorkloadIdentityFactory = (name, binding, opts) =>
        new WorkloadIdentity(
            name,
            {
                context,
                cluster,
                namespace: binding.namespace,
                serviceAccount: binding.serviceAccount,
                identityName: names.identity(`wi-${binding.namespace}-${binding.serviceAccount}`),
                principalName: binding.principalName,
            },
            opts,
        );

    // --- Azure ML ------------------------------------------------------------------------------
    const workspace = new MlWorkspace("platform", {
        ...shared,
        workspaceName: names.mlWorkspace,
        friendlyName: `ML platform (${config.environment})`,
        storageAccountId: storage.id,
        keyVaultId: keyVault.id,
        applicationInsightsId: monitoring.appInsightsId,
        containerRegistryId: registry.id,
        publicNetworkAccess: config.ml.publicNetworkAccess,
        isolationMode: config.ml.isolationMode,
        approvedOutboundFqdns: config.ml.approvedOutboundFqdns,
        firewallSku: config.ml.firewallSku,
        highBusinessImpact: config.ml.highBusinessImpact,
        // The registry is never open (private endpoint; in dev a default-deny firewall), so ACR
        // Tasks cannot build into it: environments are built on the compute cluster everywhere.
        buildImagesOnComputeCluster: true,
        computeCluster: {
            name: names.computeCluster,
            vmSize: config.ml.computeCluster.vmSize,
            maxNodes: config.ml.computeCluster.maxNodes,
            idleMinutesBeforeScaleDown: config.ml.computeCluster.idleMinutesBeforeScaleDown,
            identityName: names.identity("ml-compute"),
        },
    });
    // AML jobs pull their environment images with the compute cluster's identity, and write
    // outputs, logs and models to the workspace storage with it (the account has no keys).
    registry.grantPull(workspace.computeIdentity.principal);
    storage.grantBlobDataContributor(workspace.computeIdentity.principal);
    // The workspace reaches its storage only through private endpoints, which its identity must see.
    storage.grantPrivateEndpointsRead(workspace.systemIdentity);

    const mlCluster = hooks.prepareMlOnCluster({ kubernetesProvider: cluster.provider, keyVault, resourceGroup });
    const kubernetesCompute = new MlKubernetesCompute("aks-inference", {
        context,
        cluster,
        workspace,
        namespace: mlCluster.namespace,
        computeName: names.kubernetesCompute,
        inference: {
            // Three router replicas need three schedulable (user pool) nodes.
            highAvailability: config.cluster.userPool.minCount >= 3,
            // Scoring URIs Azure ML reports use the edge host name, which fronts the router.
            tls: { secretName: INFERENCE_ROUTER_TLS_SECRET, hostName: config.edge.hostName },
        },
        extensionPrerequisites: mlCluster.extensionPrerequisites,
    });
    // Model deployments pull images and read model files with the Kubernetes compute's identity.
    registry.grantPull(kubernetesCompute.identity);
    storage.grantBlobDataReader(kubernetesCompute.identity);

    // --- Entra ID: the API and who may call it -------------------------------------------------
    const api = new ApiApplication("platform-api", {
        displayName: names.apiApplication,
        identifierUri: names.apiIdentifierUri,
        tenantId: config.tenantId,
        roles: config.access.roles,
        scopes: config.access.scopes,
        preAuthorizedClients: config.access.preAuthorizedClients,
        owners: [client.objectId],
    });
    const access = new AccessMatrix("access", {
        callers: config.access.callers,
        api,
        grantTargets: { workspace, storage },
        workloadIdentity,
        amlJobIdentity: workspace.computeIdentity,
        displayNamePrefix: names.displayNamePrefix,
        owners: [client.objectId],
    });

    // --- Teams: a managed identity each, and a kubeconfig for their engineers ------------------
    const teamIdentities = new Map<string, TeamIdentity>();
    for (const team of config.teams) {
        teamIdentities.set(
            team.name,
            new TeamIdentity(`team-${team.name}`, {
                context,
                cluster,
                identityName: names.identity(`team-${team.name}`),
                serviceAccounts: team.workloadServiceAccounts,
            }),
        );
        // Only the kubeconfig: inside the cluster the team has its namespaced Kubernetes Role.
        cluster.grantClusterUser({ principalId: team.groupObjectId, principalType: "Group", name: `team-${team.name}` });
    }

    return {
        teamIdentities,
        resourceGroup,
        hub,
        hubKubeletPull,
        monitoring,
        keyVault,
        workspace,
        cluster,
        kubernetesProvider: cluster.provider,
        workloadIdentity,
        api: {
            clientId: api.clientId,
            identifierUri: api.identifierUri,
            tokenIssuer: api.tokenIssuer,
            appRoles: api.appRoles,
        },
        registryLoginServer: registry.loginServer,
        ml: { kubernetesCompute, inferenceRouter: kubernetesCompute.inferenceRouter },
        callers: access.callers,
        callerWorkloads: access.callers.flatMap((caller) =>
            caller.workload
                ? [
                      {
                          caller: caller.name,
                          namespace: caller.workload.namespace,
                          serviceAccount: caller.workload.serviceAccount,
                          clientId: caller.workload.clientId,
                      },
                  ]
                : [],
        ),
    };
}
