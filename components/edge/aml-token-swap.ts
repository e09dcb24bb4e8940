/**
 * The Azure ML token swap (services/edge-authorizer, entry `dist/swap-main.js`, same image as
 * the authorizer) between the edge and the inference router: Kubernetes online endpoints accept
 * only a key or an `aml_token`, never the caller's Entra token, so the swap replaces the caller's
 * Authorization with the endpoint's own aml_token, fetched with its workload identity
 * (Entra client credentials with the federated token file, then ARM
 * `POST .../onlineEndpoints/{name}/token`) and cached until `refreshAfterTimeUtc`.
 *
 * Mesh: only the ingress controller may call the swap (its route's ProtectedRoute authorizes
 * that), and only the swap may call the router (this component authorizes that, replacing the
 * router's former ingress-only authorization). Azure: the identity holds only the custom
 * "AzureML Online Endpoint Token Reader" role at the workspace (granted by the caller through
 * MlWorkspace.grantOnlineEndpointToken).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { USE_LABEL, workloadIdentityAnnotations } from "../azure/workload-identity";
import { MeshAuthorization, type MeshProxyProtocol } from "@amlmesh/team-sdk/kit/mesh/authorization";
import { assertReplicas, PLATFORM_LABELS, type NamespaceHandle, type ServiceAccountRef } from "@amlmesh/team-sdk/kit/mesh/types";
import { METRICS_PATHS } from "../mesh/metrics";
import { nodeServiceDeploymentSpec } from "./node-service-pod";

export interface AmlTokenSwapArgs {
    /** A meshed namespace for the swap. */
    namespace: NamespaceHandle;
    /** Pinned image reference: the edge authorizer's image (it carries the swap's entry point). */
    image: pulumi.Input<string>;
    replicas: number;
    /** PodDisruptionBudget and spread over nodes and zones (every environment but dev). */
    highAvailability: boolean;
    /** Client ID of the user-assigned identity federated with this ServiceAccount. */
    clientId: pulumi.Input<string>;
    tenantId: string;
    /** ARM ID of the ML workspace whose online endpoints are served (`SWAP_WORKSPACE_ID`). */
    workspaceId: pulumi.Input<string>;
    /** The inference router (azureml-fe) the swap forwards to. */
    router: {
        namespace: NamespaceHandle;
        serviceName: string;
        port: number;
        scheme: "http" | "https";
        /** Labels of the router pods, for the Linkerd Server that admits only the swap. */
        podSelector: Record<string, string>;
        /** Container port behind `port`, when different. */
        targetPort?: number | string;
        proxyProtocol?: MeshProxyProtocol;
        /** PEM of the router's serving certificate (self-signed): the swap trusts only it. Required for https. */
        caCertificatePem?: pulumi.Input<string>;
    };
    /** What the pods must wait for (federated credential, role assignment). */
    identityReady?: pulumi.Input<pulumi.Resource>[];
    /** The one identity admitted to GET /metrics on the metrics port; without one that port stays closed. */
    metricsScraper?: ServiceAccountRef;
    resources?: { requests: Record<string, string>; limits: Record<string, string> };
}

const APP = "aml-token-swap";
const PORT = 8080;
/**
 * Metrics on a port of their own: the inference port's authorization (the route's, in
 * ProtectedRoute) admits the ingress to every path, and the scraper must get /metrics only.
 */
const METRICS_PORT = 9464;
const CA_MOUNT = "/etc/aml-token-swap/router-ca";

export class AmlTokenSwap extends pulumi.ComponentResource {
    /** The Service the inference route proxies to. */
    readonly service: { namespace: string; name: string; port: number };
    readonly serviceAccount: ServiceAccountRef;
    /** Labels of the swap pods (for the route's mesh authorization). */
    readonly podSelector: Record<string, string>;
    readonly deployment: k8s.apps.v1.Deployment;
    /** The router's authorization: only the swap's identity may connect. */
    readonly routerAuthorization: MeshAuthorization;

    constructor(name: string, args: AmlTokenSwapArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:edge:AmlTokenSwap", name, {}, opts);
        assertReplicas(`AmlTokenSwap ${name}`, args.replicas, args.highAvailability);
        if (args.router.scheme === "https" && args.router.caCertificatePem === undefined) {
            throw new Error(`AmlTokenSwap ${name}: router.caCertificatePem is required for an https router (the swap verifies the router's certificate)`);
        }
        const namespace = args.namespace.name;
        const selector = { "app.kubernetes.io/name": APP, "app.kubernetes.io/instance": name };
        const labels = { ...PLATFORM_LABELS, ...selector, "app.kubernetes.io/component": "aml-token-swap" };
        const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: [...args.namespace.ready] };

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            // The workload identity webhook projects its own token; no Kubernetes API token is mounted.
            { metadata: { name, namespace, labels, annotations: workloadIdentityAnnotations(args.clientId, args.tenantId) }, automountServiceAccountToken: false },
            childOpts,
        );

        const volumes: k8s.types.input.core.v1.Volume[] = [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }];
        const mounts: k8s.types.input.core.v1.VolumeMount[] = [{ name: "tmp", mountPath: "/tmp" }];
        const env: k8s.types.input.core.v1.EnvVar[] = [
            { name: "SWAP_PORT", value: String(PORT) },
            { name: "SWAP_METRICS_PORT", value: String(METRICS_PORT) },
            { name: "SWAP_WORKSPACE_ID", value: args.workspaceId },
            { name: "SWAP_ROUTER_URL", value: `${args.router.scheme}://${args.router.serviceName}.${args.router.namespace.name}.svc.cluster.local:${args.router.port}` },
        ];
        if (args.router.caCertificatePem !== undefined) {
            // A certificate is public; a ConfigMap is the right home for it.
            const ca = new k8s.core.v1.ConfigMap(`${name}-router-ca`, { metadata: { name: `${name}-router-ca`, namespace, labels }, data: { "ca.pem": args.router.caCertificatePem } }, childOpts);
            volumes.push({ name: "router-ca", configMap: { name: ca.metadata.name } });
            mounts.push({ name: "router-ca", mountPath: CA_MOUNT, readOnly: true });
            env.push({ name: "SWAP_ROUTER_CA_FILE", value: `${CA_MOUNT}/ca.pem` });
        }

        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name, namespace, labels },
                spec: nodeServiceDeploymentSpec({
                    name,
                    container: APP,
                    replicas: args.replicas,
                    selector,
                    podLabels: { ...labels, [USE_LABEL]: "true" },
                    image: args.image,
                    command: ["node", "dist/swap-main.js"],
                    port: PORT,
                    extraPorts: [{ name: "metrics", containerPort: METRICS_PORT }],
                    env,
                    ...(args.resources ? { resources: args.resources } : {}),
                    volumeMounts: mounts,
                    volumes,
                    highAvailability: args.highAvailability,
                }),
            },
            { ...childOpts, dependsOn: [...args.namespace.ready, serviceAccount, ...(args.identityReady ?? [])] },
        );

        new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: { name, namespace, labels }, spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: PORT, targetPort: "http", protocol: "TCP", appProtocol: "http" }] } },
            childOpts,
        );

        if (args.highAvailability) {
            new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata: { name, namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, childOpts);
        }

        this.serviceAccount = { namespace, name };
        this.routerAuthorization = new MeshAuthorization(
            `${name}-router`,
            {
                namespace: args.router.namespace,
                podSelector: args.router.podSelector,
                port: args.router.targetPort ?? args.router.port,
                ...(args.router.proxyProtocol ? { proxyProtocol: args.router.proxyProtocol } : {}),
                clients: [this.serviceAccount],
            },
            { parent: this },
        );

        if (args.metricsScraper) {
            new MeshAuthorization(
                `${name}-metrics`,
                {
                    namespace: args.namespace,
                    podSelector: selector,
                    port: "metrics",
                    proxyProtocol: "HTTP/1",
                    clients: [args.metricsScraper],
                    // No probe uses this port.
                    http: { paths: [...METRICS_PATHS], probes: { paths: [], networks: [] } },
                },
                { parent: this },
            );
        }

        this.service = { namespace, name, port: PORT };
        this.podSelector = selector;
        this.registerOutputs({ service: this.service, serviceAccount: this.serviceAccount });
    }
}
