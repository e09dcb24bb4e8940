/**
 * Linkerd 2.20 on the cluster, in install order:
 *
 * 1. the Gateway API CRDs (standard channel, pinned upstream release manifest);
 * 2. the `linkerd` namespace, the issuer Secret (`kubernetes.io/tls` with `ca.crt`) and the
 *    `linkerd-identity-trust-roots` ConfigMap, each its own resource;
 * 3. the `linkerd-crds` chart, then the `linkerd-control-plane` chart with the external issuer
 *    (`identity.externalCA`, `identity.issuer.scheme: kubernetes.io/tls`): no Helm value carries
 *    a private key, only the public trust bundle.
 *
 * The admission webhooks serve certificates this component issues (LinkerdWebhookCertificates),
 * not the chart's generated ones, which expire a year after the last Helm upgrade.
 *
 * The proxy injector is limited to namespaces carrying the platform's injection label (see
 * MeshedNamespace) and fails closed (`webhookFailurePolicy: Fail`): in a meshed namespace a pod
 * without a proxy would bypass every authorization policy, so it must not start at all.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_API, LINKERD } from "../versions";
import { LINKERD_ANNOTATIONS, PLATFORM_LABELS, type MeshControlPlane } from "@amlmesh/team-sdk/kit/mesh/types";
import { externalWebhookValues, LinkerdWebhookCertificates, type WebhookCertificateLifetimes } from "./webhook-certificates";

/** Requests and limits in the chart's own shape (`cpu.request`, `memory.limit`, ...). */
export interface LinkerdResources {
    cpu?: { request?: string; limit?: string };
    memory?: { request?: string; limit?: string };
}

export interface LinkerdArgs {
    /** The identity PKI (see MeshPki); only the issuer key is secret, and it goes into a Secret. */
    pki: {
        /** Every trusted anchor certificate (PEM bundle). */
        trustBundlePem: pulumi.Input<string>;
        /** The anchor certificate that signed the issuer (the Secret's `ca.crt`). */
        trustAnchorPem: pulumi.Input<string>;
        issuerCertPem: pulumi.Input<string>;
        /** Must be a Pulumi secret. */
        issuerKeyPem: pulumi.Input<string>;
        /** Identity trust domain the issuer is certified for. */
        trustDomain: string;
    };
    /** HA mode (values-ha.yaml): 3 replicas, PDBs, anti-affinity, controller resources. */
    highAvailability: boolean;
    /** Resources of every injected proxy; defaults depend on highAvailability. */
    proxyResources?: LinkerdResources;
    /**
     * Source networks of kubelet probes. Linkerd authorizes the probe paths of a pod's spec from
     * these networks while no route restricts the port. Defaults to the chart's (all addresses).
     */
    probeNetworks?: string[];
    /** Control plane namespace. */
    namespace?: string;
    /** Lifetimes of the webhook CA and serving certificates; defaults in webhook-certificates.ts. */
    webhookCertificateLifetimes?: WebhookCertificateLifetimes;
}

/** The label that admits a namespace to the proxy injector (set by MeshedNamespace). */
export const MESH_INJECTION_LABEL = { key: "mesh.amlmesh.io/injection", value: "enabled" } as const;

const ISSUER_SECRET = "linkerd-identity-issuer";
/** Destination pod annotation carrying the checksum of the webhook certificates it serves. */
export const WEBHOOK_CERTIFICATES_ANNOTATION = "mesh.amlmesh.io/webhook-certificates-sha256";
const TRUST_ROOTS_CONFIGMAP = "linkerd-identity-trust-roots";

export class Linkerd extends pulumi.ComponentResource implements MeshControlPlane {
    readonly namespace: string;
    readonly gatewayApi: k8s.yaml.v2.ConfigFile;
    readonly crds: k8s.helm.v3.Release;
    readonly controlPlane: k8s.helm.v3.Release;
    readonly issuerSecret: k8s.core.v1.Secret;
    readonly trustRoots: k8s.core.v1.ConfigMap;
    readonly webhookCertificates: LinkerdWebhookCertificates;
    readonly ready: pulumi.Resource[];
    readonly injectionLabels: Readonly<Record<string, string>>;
    readonly probeNetworks: readonly string[];
    readonly trustDomain: string;

    constructor(name: string, args: LinkerdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:mesh:Linkerd", name, {}, opts);
        const namespace = args.namespace ?? "linkerd";
        this.namespace = namespace;
        this.trustDomain = args.pki.trustDomain;
        this.probeNetworks = args.probeNetworks ?? ["0.0.0.0/0", "::/0"];
        this.injectionLabels = { [MESH_INJECTION_LABEL.key]: MESH_INJECTION_LABEL.value };
        const labels = { ...PLATFORM_LABELS, "linkerd.io/control-plane-ns": namespace };

        this.gatewayApi = new k8s.yaml.v2.ConfigFile(`${name}-gateway-api`, { file: GATEWAY_API.manifestUrl }, { parent: this });

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: namespace,
                    // As `linkerd install` creates it: the control plane injects its own proxies,
                    // and the admission webhooks leave it alone.
                    annotations: { [LINKERD_ANNOTATIONS.inject]: "disabled" },
                    labels: {
                        ...labels,
                        "linkerd.io/is-control-plane": "true",
                        "config.linkerd.io/admission-webhooks": "disabled",
                        // proxy-init needs NET_ADMIN/NET_RAW without the Linkerd CNI plugin.
                        "pod-security.kubernetes.io/enforce": "privileged",
                    },
                },
            },
            { parent: this },
        );

        this.issuerSecret = new k8s.core.v1.Secret(
            `${name}-identity-issuer`,
            {
                metadata: { name: ISSUER_SECRET, namespace, labels: { ...labels, "linkerd.io/control-plane-component": "identity" } },
                type: "kubernetes.io/tls",
                stringData: {
                    "tls.crt": args.pki.issuerCertPem,
                    "tls.key": pulumi.secret(args.pki.issuerKeyPem),
                    "ca.crt": args.pki.trustAnchorPem,
                },
            },
            { parent: this, dependsOn: [ns] },
        );

        this.trustRoots = new k8s.core.v1.ConfigMap(
            `${name}-trust-roots`,
            {
                metadata: { name: TRUST_ROOTS_CONFIGMAP, namespace, labels: { ...labels, "linkerd.io/control-plane-component": "identity" } },
                data: { "ca-bundle.crt": args.pki.trustBundlePem },
            },
            { parent: this, dependsOn: [ns] },
        );

        this.webhookCertificates = new LinkerdWebhookCertificates(
            `${name}-webhook-certs`,
            { namespace, after: [ns], ...(args.webhookCertificateLifetimes ? { lifetimes: args.webhookCertificateLifetimes } : {}) },
            { parent: this },
        );

        this.crds = new k8s.helm.v3.Release(
            `${name}-crds`,
            {
                name: "linkerd-crds",
                chart: LINKERD.crdsChart,
                version: LINKERD.chartVersion,
                repositoryOpts: { repo: LINKERD.repository },
                namespace,
                createNamespace: false,
                // The bundled Gateway API CRDs are v1.1.1 experimental; ours come from GATEWAY_API.
                values: { installGatewayAPI: false },
            },
            { parent: this, dependsOn: [ns, this.gatewayApi] },
        );

        this.controlPlane = new k8s.helm.v3.Release(
            `${name}-control-plane`,
            {
                name: "linkerd-control-plane",
                chart: LINKERD.controlPlaneChart,
                version: LINKERD.chartVersion,
                repositoryOpts: { repo: LINKERD.repository },
                namespace,
                createNamespace: false,
                values: controlPlaneValues(args, this.probeNetworks, this.trustDomain, this.webhookCertificates),
            },
            { parent: this, dependsOn: [this.crds, this.issuerSecret, this.trustRoots, this.webhookCertificates] },
        );

        this.ready = [this.controlPlane];
        this.registerOutputs({ namespace, controlPlaneStatus: this.controlPlane.status });
    }
}

/** Helm values of linkerd-control-plane. */
function controlPlaneValues(
    args: LinkerdArgs,
    probeNetworks: readonly string[],
    trustDomain: string,
    webhooks: Pick<LinkerdWebhookCertificates, "caBundlePem" | "destinationCertificatesSha256">,
): Record<string, unknown> {
    const external = externalWebhookValues(webhooks.caBundlePem);
    const ha = args.highAvailability;
    const proxyResources: LinkerdResources =
        args.proxyResources ?? (ha ? { cpu: { request: "100m" }, memory: { request: "20Mi", limit: "250Mi" } } : { cpu: { request: "20m" }, memory: { request: "20Mi", limit: "250Mi" } });
    const controllerResources: LinkerdResources = ha
        ? { cpu: { request: "100m" }, memory: { request: "50Mi", limit: "250Mi" } }
        : { cpu: { request: "50m" }, memory: { request: "50Mi", limit: "250Mi" } };

    const values: Record<string, unknown> = {
        // Image tags of the controller and the proxies, pinned with the chart (components/versions.ts).
        linkerdVersion: LINKERD.version,
        identityTrustDomain: trustDomain,
        // Public trust bundle only; the same bundle is in the ConfigMap the identity controller
        // and the injector read. It also drives the pods' trust-root-sha256 annotation, so a new
        // bundle rolls the control plane.
        identityTrustAnchorsPEM: args.pki.trustBundlePem,
        identity: {
            externalCA: true,
            issuer: { scheme: "kubernetes.io/tls" },
        },
        controllerLogFormat: "json",
        proxy: {
            logFormat: "json",
            resources: proxyResources,
        },
        // The policy controller runs in the destination pod; without requests it is the first
        // thing evicted or throttled on a busy node, and every proxy's policy comes from it.
        policyController: { probeNetworks: [...probeNetworks], resources: controllerResources },
        // Webhook certificates come from LinkerdWebhookCertificates; the chart generates none.
        profileValidator: external.profileValidator,
        policyValidator: external.policyValidator,
        // The policy validator reads its certificate once, at start: a new one rolls the pods.
        destinationController: { podAnnotations: { [WEBHOOK_CERTIFICATES_ANNOTATION]: webhooks.destinationCertificatesSha256 } },
        proxyInjector: {
            ...external.proxyInjector,
            namespaceSelector: {
                matchExpressions: [
                    { key: "config.linkerd.io/admission-webhooks", operator: "NotIn", values: ["disabled"] },
                    { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "cert-manager"] },
                    { key: MESH_INJECTION_LABEL.key, operator: "In", values: [MESH_INJECTION_LABEL.value] },
                ],
            },
        },
        webhookFailurePolicy: "Fail",
        // The heartbeat CronJob reports to linkerd.io; a zero-egress cluster has no business doing so.
        disableHeartBeat: true,
        controllerResources,
        destinationResources: controllerResources,
        identityResources: controllerResources,
        proxyInjectorResources: controllerResources,
        spValidatorResources: controllerResources,
    };
    if (ha) {
        Object.assign(values, {
            highAvailability: true,
            controllerReplicas: 3,
            enablePodDisruptionBudget: true,
            controller: { podDisruptionBudget: { maxUnavailable: 1 } },
            deploymentStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: "25%" } },
            enablePodAntiAffinity: true,
            identityResources: { cpu: { request: "100m" }, memory: { request: "10Mi", limit: "250Mi" } },
        });
    }
    return values;
}
