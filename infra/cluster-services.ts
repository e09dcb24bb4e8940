/**
 * Wiring of everything that runs on the cluster: the mesh (PKI, Linkerd, meshed namespaces),
 * the edge (NGINX ingress controller, edge authorizer, one VirtualServer per host) and the
 * protected routes from the stack config plus the Azure ML inference router.
 *
 * The Azure side hands in what it owns through `ClusterServiceDeps`: small structural types,
 * so that this file does not depend on how the Azure components are built. No resource
 * settings live here, only wiring and naming.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AmlTokenSwap } from "../components/edge/aml-token-swap";
import { EdgeAuthorizer } from "../components/edge/authorizer";
import { EdgeHost } from "../components/edge/edge-host";
import { IngressController } from "../components/edge/ingress-controller";
import { ProtectedRoute, type EdgeRef, type ProtectedRouteArgs, type ProtectedRouteBackend } from "@amlmesh/team-sdk/kit/edge/protected-route";
import { MeshAuthorization } from "@amlmesh/team-sdk/kit/mesh/authorization";
import { Linkerd } from "../components/mesh/linkerd";
import { MeshedNamespace } from "../components/mesh/meshed-namespace";
import { proxyMetricsAuthorization } from "../components/mesh/metrics";
import { MeshPki } from "../components/mesh/pki";
import { childName, type MeshInboundPolicy, type ServiceAccountRef } from "@amlmesh/team-sdk/kit/mesh/types";
import { WorkloadServiceAccount } from "@amlmesh/team-sdk/kit/mesh/workload-service-account";
import { TeamAdmission, TEAM_NAMESPACE_LABEL } from "../components/teams/admission";
import { TeamTenancy } from "../components/teams/team-tenancy";
import { EDGE_AUTHORIZER_IMAGE } from "../components/versions";
import { INFERENCE_ROUTE, type StackConfig } from "./config";
import { platformTags } from "./tags";

/** A managed identity usable by a Kubernetes ServiceAccount (AKS workload identity). */
export interface WorkloadIdentityHandle {
    /** Client ID that goes into the ServiceAccount's `azure.workload.identity/client-id` annotation. */
    readonly clientId: pulumi.Input<string>;
}

/** What the cluster services need from the Azure and Entra side. */
export interface ClusterServiceDeps<I extends WorkloadIdentityHandle = WorkloadIdentityHandle> {
    /** Provider for the AKS cluster (created from its user kubeconfig); every Kubernetes object uses it. */
    kubernetesProvider: k8s.Provider;
    /** The platform Key Vault: mesh trust anchor keys go in. */
    keyVault: { name: pulumi.Input<string>; resourceGroupName: pulumi.Input<string> };
    /**
     * Where the edge certificate lives: a vault that exists before the first run (the bootstrap
     * hub's), since a vault created by the run has no certificate when the controller starts.
     */
    edgeCertificate: {
        keyVaultName: pulumi.Input<string>;
        /**
         * Grants the identity read access to one secret (the scope `<vault>/secrets/<name>`; a
         * certificate's secret carries its private key). Returns the role assignment.
         */
        grantSecretRead(identity: I, secretName: string): pulumi.Resource;
        /** What the cluster's path to the vault needs (its private endpoint in the platform VNet). */
        reachable: pulumi.Resource[];
    };
    /**
     * Creates a user-assigned managed identity federated with `system:serviceaccount:<ns>:<sa>`
     * (issuer = the cluster's OIDC issuer). If the result is a Pulumi resource, pods wait for it.
     */
    createWorkloadIdentity(name: string, subject: { namespace: string; serviceAccount: string }): I;
    /** The API app registration whose tokens the edge accepts. */
    api: { clientId: pulumi.Input<string>; identifierUri: pulumi.Input<string> };
    /** The registry the authorizer image is pushed to before the run (the bootstrap hub's). */
    imageRegistry: {
        /** `<name>.azurecr.io`. */
        loginServer: pulumi.Input<string>;
        /** What pulls need: the kubelet's AcrPull and the registry's private endpoint. */
        pullReady: pulumi.Resource[];
    };
    /** The Azure ML inference router (azureml-fe), published through the token swap. */
    inferenceRouter: InferenceRouterFacts;
    /** The ML workspace whose online endpoints the inference route serves. */
    mlWorkspace: {
        /** ARM ID of the workspace. */
        id: pulumi.Input<string>;
        /**
         * Grants the identity the token action on the workspace's online endpoints, and nothing
         * else (a custom role at the workspace). Returns the role assignment.
         */
        grantOnlineEndpointToken(identity: I): pulumi.Resource;
    };
    /** In-cluster callers from the access matrix, with the managed identities the Azure side made for them. */
    workloadCallers: { caller: string; namespace: string; serviceAccount: string; clientId: pulumi.Input<string> }[];
}

/** What the mesh alone needs (it can be deployed before the rest, e.g. for the ML namespace). */
export type MeshDeps = Pick<ClusterServiceDeps, "kubernetesProvider" | "keyVault">;

/** The Azure ML inference router as the ML extension installs it. */
export interface InferenceRouterFacts {
    namespace: string;
    /** Service name (`azureml-fe`). */
    serviceName: string;
    /** Service port. */
    port: number;
    /** `https` when the router terminates TLS itself (`allowInsecureConnections: "False"`). */
    scheme: "http" | "https";
    /** ServiceAccount of the router pods (its mesh identity). */
    serviceAccount: string;
    /** Labels of the router pods, for its Linkerd Server (it must not catch other pods on the port). */
    podSelector: Record<string, string>;
    /** Container port behind `port`, when different. */
    targetPort?: number | string;
    /** Port of the model pods (in the ML namespace) the router forwards scoring requests to. */
    modelScoringPort: number;
    /** PEM of the router's serving certificate, which the token swap trusts (required with `https`). */
    caCertificatePem?: pulumi.Input<string>;
}

/** Names on the cluster (namespaces and ServiceAccounts are identities: keep them stable). */
export const CLUSTER_NAMES = {
    ingressNamespace: "nginx-ingress",
    ingressServiceAccount: "nginx-ingress",
    authorizerNamespace: "edge-authorizer",
    /** The Azure ML token swap: its namespace and ServiceAccount (also its workload identity subject). */
    swapNamespace: "aml-token-swap",
    swapServiceAccount: "aml-token-swap",
    ingressClassName: "nginx",
} as const;


/** Backends declared in the stack config are selected by this label (the Kubernetes convention). */
export const BACKEND_POD_LABEL = "app.kubernetes.io/name";

/** The mesh: PKI, control plane, and the meshed namespaces created so far. */
export interface ClusterMesh {
    pki: MeshPki;
    linkerd: Linkerd;
    /** Every meshed namespace by name. */
    namespaces: Map<string, MeshedNamespace>;
    /**
     * The meshed namespace of that name, created on first use with the stack's default inbound
     * policy (or the one given) and access-log setting. Asking again for another policy fails.
     */
    namespace(name: string, options?: { defaultInboundPolicy?: MeshInboundPolicy; labels?: Record<string, string> }): MeshedNamespace;
}

export interface ClusterServices extends ClusterMesh {
    ingress: IngressController;
    authorizer: EdgeAuthorizer;
    /** Between the inference route and the router: swaps the caller's token for the endpoint's aml_token. */
    tokenSwap: AmlTokenSwap;
    routes: ProtectedRoute[];
    hosts: EdgeHost[];
    callerAccounts: WorkloadServiceAccount[];
    /** The image the authorizer runs. */
    authorizerImage: pulumi.Output<string>;
    /** Who may reach the model pods Azure ML runs: its router. */
    modelScoring: MeshAuthorization;
    /** The proxies' admin port in every meshed namespace, for `monitoring.scraper` (none without one). */
    proxyMetrics: MeshAuthorization[];
    /** Onboarded teams: their namespaces, quotas, Kubernetes access and edge delegations. */
    teams: TeamTenancy[];
    /** The admission policies that hold in team namespaces (none without teams). */
    teamAdmission?: TeamAdmission;
}

/**
 * The mesh alone. Call it early when something on the Azure side needs a meshed namespace
 * before the edge exists (the ML namespace must exist before the cluster is attached as
 * compute), then hand the result to `deployClusterServices`.
 */
export function deployMesh(config: StackConfig, deps: MeshDeps): ClusterMesh {
    const k8sOpts: pulumi.ComponentResourceOptions = { provider: deps.kubernetesProvider };
    const pki = new MeshPki(
        "mesh-pki",
        {
            anchorValidityDays: config.mesh.pki.anchorValidityDays,
            issuerValidityDays: config.mesh.pki.issuerValidityDays,
            issuerRenewBeforeDays: config.mesh.pki.issuerRenewBeforeDays,
            keyVault: { name: deps.keyVault.name, resourceGroupName: deps.keyVault.resourceGroupName },
            protectTrustAnchors: config.environment !== "dev",
            anchors: config.mesh.pki.anchors,
            tags: platformTags(config),
        },
    );
    const linkerd = new Linkerd(
        "linkerd",
        {
            pki,
            highAvailability: config.mesh.highAvailability,
            probeNetworks: kubeletProbeNetworks(config),
        },
        k8sOpts,
    );
    const namespaces = new Map<string, MeshedNamespace>();
    const namespace = (name: string, options: { defaultInboundPolicy?: MeshInboundPolicy; labels?: Record<string, string> } = {}): MeshedNamespace => {
        let found = namespaces.get(name);
        const policy = options.defaultInboundPolicy;
        if (found && policy !== undefined && found.defaultInboundPolicy !== policy) {
            throw new Error(`meshed namespace ${name} already exists with default inbound policy ${found.defaultInboundPolicy}, not ${policy}`);
        }
        if (found && options.labels) throw new Error(`meshed namespace ${name} already exists; labels can only be given when it is created`);
        if (!found) {
            found = new MeshedNamespace(
                `ns-${name}`,
                {
                    name,
                    defaultInboundPolicy: policy ?? config.mesh.defaultInboundPolicy,
                    accessLogs: config.mesh.accessLogs,
                    mesh: linkerd,
                    ...(options.labels ? { labels: options.labels } : {}),
                },
                k8sOpts,
            );
            namespaces.set(name, found);
        }
        return found;
    };
    return { pki, linkerd, namespaces, namespace };
}

/**
 * Where kubelet probes come from: the nodes (their addresses in the node subnet) and, with an
 * overlay dataplane, the node's own router address in the pod CIDR (Cilium's `cilium_host`).
 * Linkerd admits the probe paths from these networks only, instead of from anywhere.
 */
export function kubeletProbeNetworks(config: Pick<StackConfig, "network">): string[] {
    return [config.network.subnets.aksNodes, config.network.podCidr];
}

export function deployClusterServices<I extends WorkloadIdentityHandle>(
    config: StackConfig,
    deps: ClusterServiceDeps<I>,
    options: { mesh?: ClusterMesh } = {},
): ClusterServices {
    const nonDev = config.environment !== "dev";
    const k8sOpts: pulumi.ComponentResourceOptions = { provider: deps.kubernetesProvider };

    // --- Mesh: every namespace with workloads is meshed ------------------------------------
    const mesh = options.mesh ?? deployMesh(config, deps);
    const { linkerd } = mesh;
    const ingressNamespace = mesh.namespace(CLUSTER_NAMES.ingressNamespace);
    const authorizerNamespace = mesh.namespace(CLUSTER_NAMES.authorizerNamespace);
    const mlNamespace = mesh.namespace(config.ml.kubernetesNamespace);
    const router = deps.inferenceRouter;
    // The platform creates the router's namespace, meshed, before the ML extension installs into
    // it (prepareMlOnCluster); here it is only looked up. Route and caller namespaces are made on
    // first use below.
    const routerNamespace = mesh.namespace(router.namespace);

    // Azure ML runs model pods in the ML namespace, and its router forwards scoring requests to
    // them on the inference server's port: that port admits the router's identity, nothing else.
    const modelScoring = new MeshAuthorization(
        "aml-model-scoring",
        {
            namespace: mlNamespace,
            // Azure ML owns and labels these pods; every pod in the namespace is a model server.
            podSelector: {},
            port: router.modelScoringPort,
            clients: [{ namespace: router.namespace, name: router.serviceAccount }],
        },
        k8sOpts,
    );

    const callerAccounts = deps.workloadCallers.map(
        (caller) =>
            new WorkloadServiceAccount(
                `caller-${caller.caller}`,
                { namespace: mesh.namespace(caller.namespace), name: caller.serviceAccount, clientId: caller.clientId, tenantId: config.tenantId },
                k8sOpts,
            ),
    );

    // --- Edge ------------------------------------------------------------------------------
    const ingressIdentity = deps.createWorkloadIdentity("nginx-ingress", {
        namespace: CLUSTER_NAMES.ingressNamespace,
        serviceAccount: CLUSTER_NAMES.ingressServiceAccount,
    });
    const certificateGrant = deps.edgeCertificate.grantSecretRead(ingressIdentity, config.edge.tlsCertificateName);
    const ingress = new IngressController(
        "nginx-ingress",
        {
            namespace: ingressNamespace,
            replicas: config.edge.controllerReplicas,
            highAvailability: nonDev,
            exposure: config.edge.exposure,
            serviceAccountName: CLUSTER_NAMES.ingressServiceAccount,
            ingressClassName: CLUSTER_NAMES.ingressClassName,
            clientAddress: config.edge.clientAddress,
            ...(config.monitoring.scraper ? { metricsScraper: scraperIdentity(config.monitoring.scraper) } : {}),
            defaultTls: {
                certificateName: config.edge.tlsCertificateName,
                keyVaultName: deps.edgeCertificate.keyVaultName,
                tenantId: config.tenantId,
                clientId: ingressIdentity.clientId,
            },
            identityReady: [certificateGrant, ...deps.edgeCertificate.reachable, ...(pulumi.Resource.isInstance(ingressIdentity) ? [ingressIdentity] : [])],
        },
        k8sOpts,
    );

    const authorizerImage = pulumi.output(config.edge.authorizer.image ?? authorizerImageRef(deps.imageRegistry.loginServer, config));
    const authorizer = new EdgeAuthorizer(
        "edge-authorizer",
        {
            namespace: authorizerNamespace,
            image: authorizerImage,
            replicas: config.edge.authorizer.replicas,
            highAvailability: nonDev,
            tenantId: config.tenantId,
            audiences: [deps.api.identifierUri, deps.api.clientId],
            ingress: ingress.identity,
            probeNetworks: linkerd.probeNetworks,
            imageReady: deps.imageRegistry.pullReady,
            ...(config.monitoring.scraper ? { metricsScraper: scraperIdentity(config.monitoring.scraper) } : {}),
        },
        k8sOpts,
    );

    // --- Routes: one ProtectedRoute per path, one VirtualServer per host ----------------------
    const edge: EdgeRef = {
        identity: ingress.identity,
        ingressClassName: ingress.ingressClassName,
        authorizer: authorizer.service,
        ready: [...ingress.ready, ...authorizer.ready],
    };
    const sharedBackends = new Map<string, MeshAuthorization>();
    const protectedRoute = (
        name: string,
        route: Pick<ProtectedRouteArgs, "host" | "path" | "roles" | "scopes" | "rateLimit">,
        backend: Omit<ProtectedRouteBackend, "namespace" | "proxyProtocol"> & { namespace: string },
    ): ProtectedRoute => {
        // Routes to the same pods and port share one Linkerd Server (Linkerd rejects overlapping ones).
        const key = JSON.stringify([backend.namespace, backend.podSelector, backend.targetPort ?? backend.port]);
        const shared = sharedBackends.get(key);
        const created = new ProtectedRoute(
            name,
            { ...route, backend: { ...backend, namespace: mesh.namespace(backend.namespace) }, edge, ...(shared ? { backendAuthorization: shared } : {}) },
            k8sOpts,
        );
        sharedBackends.set(key, created.backendAuthorization);
        return created;
    };

    const routes = config.routes.map((route) =>
        protectedRoute(
            route.name,
            {
                host: route.host ?? config.edge.hostName,
                path: route.path,
                roles: route.roles,
                scopes: route.scopes,
                rateLimit: route.rateLimit ?? config.edge.rateLimit,
            },
            { ...route.backend, podSelector: route.backend.podSelector ?? { [BACKEND_POD_LABEL]: route.backend.service } },
        ),
    );
    // --- Azure ML: edge → token swap → router ---------------------------------------------
    const swapIdentity = deps.createWorkloadIdentity("aml-token-swap", { namespace: CLUSTER_NAMES.swapNamespace, serviceAccount: CLUSTER_NAMES.swapServiceAccount });
    const tokenGrant = deps.mlWorkspace.grantOnlineEndpointToken(swapIdentity);
    const tokenSwap = new AmlTokenSwap(
        CLUSTER_NAMES.swapServiceAccount,
        {
            namespace: mesh.namespace(CLUSTER_NAMES.swapNamespace),
            image: authorizerImage,
            replicas: config.edge.authorizer.replicas,
            highAvailability: nonDev,
            clientId: swapIdentity.clientId,
            tenantId: config.tenantId,
            workspaceId: deps.mlWorkspace.id,
            router: {
                namespace: routerNamespace,
                serviceName: router.serviceName,
                port: router.port,
                scheme: router.scheme,
                podSelector: router.podSelector,
                ...(router.targetPort !== undefined ? { targetPort: router.targetPort } : {}),
                ...(router.caCertificatePem !== undefined ? { caCertificatePem: router.caCertificatePem } : {}),
            },
            identityReady: [tokenGrant, ...(pulumi.Resource.isInstance(swapIdentity) ? [swapIdentity] : [])],
            ...(config.monitoring.scraper ? { metricsScraper: scraperIdentity(config.monitoring.scraper) } : {}),
        },
        k8sOpts,
    );
    routes.push(
        protectedRoute(
            INFERENCE_ROUTE.name,
            { host: config.edge.hostName, path: INFERENCE_ROUTE.path, roles: [...INFERENCE_ROUTE.roles], scopes: [], rateLimit: config.edge.rateLimit },
            {
                namespace: tokenSwap.service.namespace,
                service: tokenSwap.service.name,
                port: tokenSwap.service.port,
                serviceAccount: tokenSwap.serviceAccount.name,
                podSelector: tokenSwap.podSelector,
            },
        ),
    );

    // --- Teams ---------------------------------------------------------------------------
    // What a team stack may declare is enforced at admission too, whether or not it runs the pack.
    const teamAdmission =
        config.teams.length > 0
            ? new TeamAdmission(
                  "team-guardrails",
                  {
                      authorizer: authorizer.service,
                      edgeHost: config.edge.hostName,
                      ingressClassName: ingress.ingressClassName,
                      injectionLabels: linkerd.injectionLabels,
                      delegations: config.teams.flatMap((team) => team.prefixes),
                  },
                  k8sOpts,
              )
            : undefined;

    // Meshed namespaces with quota and access; their prefixes on the edge host.
    const teams = config.teams.map(
        (team) =>
            new TeamTenancy(
                `team-${team.name}`,
                {
                    team: team.name,
                    groupObjectId: team.groupObjectId,
                    namespaces: team.namespaces.map((name) => mesh.namespace(name, { labels: { [TEAM_NAMESPACE_LABEL]: team.name } })),
                    quota: team.quota,
                    containerDefaults: team.containerDefaults,
                    prefixes: team.prefixes,
                    guardrails: teamAdmission?.bindings ?? [],
                },
                k8sOpts,
            ),
    );

    // --- Metrics: the scraper reads every meshed proxy (last, once every namespace exists) -----
    const scraper = config.monitoring.scraper;
    const proxyMetrics = scraper
        ? [...mesh.namespaces.values()].map((namespace) =>
              proxyMetricsAuthorization({ namespace, scraper: scraperIdentity(scraper), probeNetworks: linkerd.probeNetworks }, k8sOpts),
          )
        : [];

    const byHost = new Map<string, ProtectedRoute[]>();
    for (const route of routes) byHost.set(route.host, [...(byHost.get(route.host) ?? []), route]);
    const hosts = [...byHost.entries()].map(
        ([host, hostRoutes]) =>
            new EdgeHost(
                childName("host", host.replace(/\./g, "-")),
                {
                    namespace: ingressNamespace,
                    host,
                    tlsSecretName: ingress.tlsSecret.name,
                    ingressClassName: ingress.ingressClassName,
                    routes: hostRoutes,
                    // Team prefixes live on the edge host only (config validation keeps them clear of platform paths).
                    ...(host === config.edge.hostName ? { delegations: teams.flatMap((team) => team.delegations) } : {}),
                },
                k8sOpts,
            ),
    );

    return {
        ...mesh,
        ingress,
        authorizer,
        tokenSwap,
        routes,
        hosts,
        callerAccounts,
        authorizerImage,
        modelScoring,
        proxyMetrics,
        teams,
        ...(teamAdmission ? { teamAdmission } : {}),
    };
}

/** The scraper's mesh identity: its ServiceAccount. */
function scraperIdentity(scraper: NonNullable<StackConfig["monitoring"]["scraper"]>): ServiceAccountRef {
    return { namespace: scraper.namespace, name: scraper.serviceAccount };
}


/** `<registry>/edge-authorizer@<digest>`: the build pinned in the stack config (config validation requires digest or image). */
function authorizerImageRef(loginServer: pulumi.Input<string>, config: StackConfig): pulumi.Output<string> {
    const digest = config.edge.authorizer.digest;
    if (!digest) throw new Error("edge.authorizer.digest is required when edge.authorizer.image is not set");
    return pulumi.interpolate`${loginServer}/${EDGE_AUTHORIZER_IMAGE.repository}@${digest}`;
}
