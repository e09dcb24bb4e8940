/**
 * The F5 NGINX Ingress Controller (open-source edition, chart pinned in components/versions.ts),
 * set up as the only way into the platform:
 *
 * - meshed like any workload (`linkerd.io/inject: enabled`, not ingress mode), with 80/443
 *   skipping the inbound proxy so NGINX sees client addresses (per-client rate limits);
 *   upstreams go to Service cluster IPs (`use-cluster-ip` on every route) so Linkerd balances
 *   and carries the controller's mTLS identity, its ServiceAccount;
 * - snippets off, custom resources on, JSON access logs with request ID, upstream address and
 *   timings, no phone-home telemetry, no plain-HTTP listener on the load balancer;
 * - a LoadBalancer Service, internal or public, with `externalTrafficPolicy: Local`;
 * - its default TLS certificate read from Key Vault by the Secrets Store CSI driver with the
 *   controller's own workload identity, synced into a `kubernetes.io/tls` Secret that the host
 *   VirtualServers use. No certificate passes through Pulumi. It is not the controller's
 *   default-server secret: the controller exits at start when that Secret is missing
 *   (cmd/nginx-ingress/main.go, v5.5.4), and the CSI driver syncs it only after a pod mounts
 *   the volume. Without one, the default server rejects TLS handshakes for unknown hosts, and
 *   a VirtualServer whose Secret is not there yet does the same until it appears.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { USE_LABEL, workloadIdentityAnnotations } from "../azure/workload-identity";
import { assertReplicas, LINKERD_ANNOTATIONS, PLATFORM_LABELS, type NamespaceHandle, type ServiceAccountRef } from "@amlmesh/team-sdk/kit/mesh/types";
import { NGINX_INGRESS } from "../versions";
import { MeshAuthorization } from "@amlmesh/team-sdk/kit/mesh/authorization";
import { METRICS_PATHS } from "../mesh/metrics";
import { IngressCrds } from "./ingress-crds";

export interface IngressControllerArgs {
    /** A meshed namespace for the controller. */
    namespace: NamespaceHandle;
    /** Controller replicas. */
    replicas: number;
    /** PodDisruptionBudget, anti-affinity and zone spread (every environment but dev). */
    highAvailability: boolean;
    /** `internal`: private load balancer on the VNet; `public`: internet-facing. */
    exposure: "internal" | "public";
    /** The controller's ServiceAccount, i.e. its mesh identity and workload identity subject. */
    serviceAccountName: string;
    /** IngressClass the controller creates and watches. */
    ingressClassName?: string;
    /** The default server certificate, from Key Vault. */
    defaultTls: {
        /** Key Vault certificate name; read as a `secret` object so the private key comes along. */
        certificateName: string;
        keyVaultName: pulumi.Input<string>;
        tenantId: pulumi.Input<string>;
        /**
         * Client ID of the controller's user-assigned identity, federated with
         * `system:serviceaccount:<namespace>:<serviceAccountName>` and allowed to read the certificate.
         */
        clientId: pulumi.Input<string>;
        /** Name of the synced `kubernetes.io/tls` Secret. */
        secretName?: string;
    };
    /** What must exist before the pods mount the certificate (federated credential, role assignment). */
    identityReady?: pulumi.Input<pulumi.Resource>[];
    /**
     * Proxies in front of the load balancer (a gateway or WAF). Without them, every caller behind
     * a gateway shares its address, and per-client rate limits become one limit for everyone.
     */
    clientAddress?: {
        /** Source ranges whose client-address header NGINX believes (`set-real-ip-from`). */
        trustedProxies: string[];
        /** The header they set (`real-ip-header`). */
        header: "X-Forwarded-For" | "X-Real-IP";
    };
    /** Controller container resources; requests and limits. */
    resources?: { requests: Record<string, string>; limits: Record<string, string> };
    /** The one mesh identity that may GET `/metrics` on the Prometheus port (a meshed Prometheus); none: nobody may. */
    metricsScraper?: ServiceAccountRef;
}

const RELEASE_NAME = "nginx-ingress";
/** The controller's Prometheus exporter port (chart value `prometheus.port`). */
export const INGRESS_METRICS_PORT = 9113;
/** The chart's pod selector for this release. */
const SELECTOR_LABELS = { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": RELEASE_NAME };
const CSI_VOLUME = "default-tls";

export class IngressController extends pulumi.ComponentResource {
    /** The controller's mesh identity: the only client backends and the authorizer admit. */
    readonly identity: ServiceAccountRef;
    readonly ingressClassName: string;
    /** The synced default certificate Secret (same namespace as the controller). */
    readonly tlsSecret: { namespace: string; name: string };
    readonly namespace: string;
    readonly secretProviderClass: k8s.apiextensions.CustomResource;
    readonly release: k8s.helm.v3.Release;
    /** The controller's CRDs, applied by the program (the release skips the chart's copy). */
    readonly crds: IngressCrds;
    /** What VirtualServers and Policies wait for (their CRDs and the controller that serves them). */
    readonly ready: pulumi.Resource[];
    /** Who may read the Prometheus port: the scraper, on `/metrics` only (with `metricsScraper`). */
    readonly metricsAuthorization?: MeshAuthorization;

    constructor(name: string, args: IngressControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:edge:IngressController", name, {}, opts);
        assertReplicas(`IngressController ${name}`, args.replicas, args.highAvailability);
        const namespace = args.namespace.name;
        const ingressClassName = args.ingressClassName ?? "nginx";
        const secretName = args.defaultTls.secretName ?? "edge-default-tls";
        const spcName = `${secretName}-kv`;

        this.secretProviderClass = new k8s.apiextensions.CustomResource(
            `${name}-default-tls`,
            {
                apiVersion: "secrets-store.csi.x-k8s.io/v1",
                kind: "SecretProviderClass",
                metadata: { name: spcName, namespace, labels: { ...PLATFORM_LABELS } },
                spec: {
                    provider: "azure",
                    parameters: {
                        usePodIdentity: "false",
                        useVMManagedIdentity: "false",
                        clientID: args.defaultTls.clientId,
                        keyvaultName: args.defaultTls.keyVaultName,
                        tenantId: args.defaultTls.tenantId,
                        // `secret` (not `cert`) returns the certificate with its private key, in PEM.
                        objects: keyVaultObjects([{ objectName: args.defaultTls.certificateName, objectType: "secret" }]),
                    },
                    secretObjects: [
                        {
                            secretName,
                            type: "kubernetes.io/tls",
                            labels: { ...PLATFORM_LABELS },
                            data: [
                                { objectName: args.defaultTls.certificateName, key: "tls.key" },
                                { objectName: args.defaultTls.certificateName, key: "tls.crt" },
                            ],
                        },
                    ],
                },
            },
            { parent: this, dependsOn: [...args.namespace.ready] },
        );

        this.crds = new IngressCrds(`${name}-crds`, {}, { parent: this });

        this.release = new k8s.helm.v3.Release(
            name,
            {
                name: RELEASE_NAME,
                chart: NGINX_INGRESS.chart,
                version: NGINX_INGRESS.chartVersion,
                namespace,
                createNamespace: false,
                // Helm never upgrades a chart's CRDs; this.crds applies the pinned version's.
                skipCrds: true,
                values: ingressControllerValues({
                    ...args,
                    ingressClassName,
                    secretProviderClass: spcName,
                }),
            },
            { parent: this, dependsOn: [...args.namespace.ready, this.secretProviderClass, this.crds, ...(args.identityReady ?? [])] },
        );

        this.ready = [this.release, this.crds];
        if (args.metricsScraper) {
            // Nothing probes this port (readiness is on 8081), so the route needs no probe route.
            this.metricsAuthorization = new MeshAuthorization(
                `${name}-metrics`,
                {
                    namespace: args.namespace,
                    podSelector: SELECTOR_LABELS,
                    port: INGRESS_METRICS_PORT,
                    proxyProtocol: "HTTP/1",
                    clients: [args.metricsScraper],
                    http: { paths: [...METRICS_PATHS], probes: { paths: [], networks: [] } },
                },
                { parent: this },
            );
        }
        this.identity = { namespace, name: args.serviceAccountName };
        this.ingressClassName = ingressClassName;
        this.tlsSecret = { namespace, name: secretName };
        this.namespace = namespace;
        this.registerOutputs({ identity: this.identity, ingressClassName, tlsSecret: this.tlsSecret, status: this.release.status });
    }
}

/** The `objects` parameter of an Azure Key Vault SecretProviderClass (a YAML document in a string). */
function keyVaultObjects(objects: { objectName: string; objectType: "secret" | "cert" | "key" }[]): string {
    const entries = objects.map((object) => `  - |\n    objectName: ${object.objectName}\n    objectType: ${object.objectType}\n`);
    return `array:\n${entries.join("")}`;
}

/** JSON access log line: who, what, which upstream, how long. No query strings, no headers with credentials. */
const ACCESS_LOG_FORMAT = JSON.stringify({
    time: "$time_iso8601",
    request_id: "$request_id",
    remote_addr: "$remote_addr",
    host: "$host",
    method: "$request_method",
    path: "$uri",
    protocol: "$server_protocol",
    status: "$status",
    bytes_sent: "$bytes_sent",
    request_length: "$request_length",
    request_time: "$request_time",
    upstream_addr: "$upstream_addr",
    upstream_status: "$upstream_status",
    upstream_connect_time: "$upstream_connect_time",
    upstream_response_time: "$upstream_response_time",
    user_agent: "$http_user_agent",
});

/**
 * ConfigMap entries of NGINX's realip module: the client address is taken from the header only
 * when the connection comes from a trusted proxy, and with X-Forwarded-For walking back over
 * trusted hops (`real-ip-recursive`), so a client cannot choose its address by sending the header.
 */
function realIpEntries(clientAddress: IngressControllerArgs["clientAddress"]): Record<string, string> {
    if (!clientAddress || clientAddress.trustedProxies.length === 0) return {};
    for (const range of clientAddress.trustedProxies) {
        if (/^(0\.0\.0\.0|::)\/0$/.test(range)) throw new Error(`IngressController: trusting forwarded client addresses from ${range} lets every client choose its address`);
    }
    return {
        "real-ip-header": clientAddress.header,
        "set-real-ip-from": clientAddress.trustedProxies.join(","),
        "real-ip-recursive": "True",
    };
}

interface ValuesInput extends IngressControllerArgs {
    ingressClassName: string;
    secretProviderClass: string;
}

/** Helm values of the nginx-ingress chart. */
function ingressControllerValues(args: ValuesInput): Record<string, unknown> {
    const selectorLabels = SELECTOR_LABELS;
    const resources = args.resources ?? { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "2", memory: "1Gi" } };
    const controller: Record<string, unknown> = {
        kind: "deployment",
        image: { repository: NGINX_INGRESS.image.repository, tag: NGINX_INGRESS.image.tag, pullPolicy: "IfNotPresent" },
        replicaCount: args.replicas,
        ingressClass: { name: args.ingressClassName, create: true, setAsDefaultIngress: false },
        enableCustomResources: true,
        enableSnippets: false,
        enableTLSPassthrough: false,
        enableCertManager: false,
        enableExternalDNS: false,
        enableOIDC: false,
        config: {
            entries: {
                "log-format": ACCESS_LOG_FORMAT,
                "log-format-escaping": "json",
                // Keep connections to the authorizer and to backends open (HTTP/1.1, no `Connection: close`).
                keepalive: "64",
                "server-tokens": "False",
                "ssl-protocols": "TLSv1.2 TLSv1.3",
                hsts: "True",
                "hsts-max-age": "31536000",
                ...realIpEntries(args.clientAddress),
            },
        },
        // The chart then runs non-root (uid 101), drops ALL but NET_BIND_SERVICE, forbids
        // privilege escalation, and copies /etc/nginx to an emptyDir in an init container.
        readOnlyRootFilesystem: true,
        podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
        resources,
        initContainerResources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
        pod: {
            annotations: {
                [LINKERD_ANNOTATIONS.inject]: "enabled",
                [LINKERD_ANNOTATIONS.skipInboundPorts]: "80,443",
            },
            extraLabels: { ...PLATFORM_LABELS, [USE_LABEL]: "true" },
        },
        serviceAccount: {
            name: args.serviceAccountName,
            annotations: workloadIdentityAnnotations(args.defaultTls.clientId, args.defaultTls.tenantId),
        },
        volumes: [
            {
                name: CSI_VOLUME,
                csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: args.secretProviderClass } },
            },
        ],
        volumeMounts: [{ name: CSI_VOLUME, mountPath: "/mnt/secrets-store/default-tls", readOnly: true }],
        service: {
            create: true,
            type: "LoadBalancer",
            externalTrafficPolicy: "Local",
            annotations: args.exposure === "internal" ? { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" } : {},
            // TLS only: no plain-HTTP listener where a bearer token could travel in the clear.
            httpPort: { enable: false },
            httpsPort: { enable: true, port: 443, targetPort: 443 },
        },
        telemetryReporting: { enable: false },
    };
    if (args.highAvailability) {
        Object.assign(controller, {
            // At most one pod out at a time, whatever the replica count (minAvailable: 1 would let
            // two of three go at once, leaving one pod to carry the whole edge).
            podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
            affinity: {
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                        { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorLabels } } },
                    ],
                },
            },
            topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selectorLabels } },
            ],
        });
    }
    return { controller, prometheus: { create: true, port: INGRESS_METRICS_PORT } };
}
