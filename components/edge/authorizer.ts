/**
 * The edge authorizer (services/edge-authorizer) on the cluster: the service NGINX asks, on
 * every request, whether the caller's Entra token is valid for the API and carries the route's
 * app role. It holds no secret and needs no Azure identity (it only fetches Entra's public
 * signing keys), so its ServiceAccount has no workload identity and no API token.
 *
 * Hardened pod (non-root, read-only root, no privilege escalation, no capabilities, seccomp),
 * requests and limits, probes, a PodDisruptionBudget and, outside dev, spread over nodes and
 * zones. In the mesh only the ingress controller's identity may call it, and only `/authorize`;
 * kubelet probes get their own authorization (see MeshAuthorization).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshAuthorization } from "@amlmesh/team-sdk/kit/mesh/authorization";
import { assertReplicas, PLATFORM_LABELS, type NamespaceHandle, type ServiceAccountRef } from "@amlmesh/team-sdk/kit/mesh/types";
import { metricsGrant } from "../mesh/metrics";
import { nodeServiceDeploymentSpec } from "./node-service-pod";

export interface EdgeAuthorizerArgs {
    /** A meshed namespace for the authorizer. */
    namespace: NamespaceHandle;
    /** Pinned image reference (`registry/repository:tag` or `@sha256:` digest). */
    image: pulumi.Input<string>;
    replicas: number;
    /** Spread over nodes and zones (every environment but dev). */
    highAvailability: boolean;
    /** Entra tenant that issues the tokens (`AUTHZ_TENANT_ID`). */
    tenantId: string;
    /** Token issuer; defaults to `https://login.microsoftonline.com/<tenantId>/v2.0`. */
    issuer?: string;
    /** Accepted `aud` values: the API app's identifier URI and its client ID (`AUTHZ_AUDIENCES`). */
    audiences: pulumi.Input<string>[];
    /** Override of the JWKS URI (normally discovered from the issuer). */
    jwksUri?: string;
    /** Allowed clock skew for exp/nbf (`AUTHZ_CLOCK_SKEW_SECONDS`). */
    clockSkewSeconds?: number;
    /** The only mesh identity allowed to call it: the ingress controller's ServiceAccount. */
    ingress: ServiceAccountRef;
    /** Networks kubelet probes come from (MeshControlPlane.probeNetworks). */
    probeNetworks: readonly string[];
    /** The one mesh identity that may GET `/metrics` (a meshed Prometheus); none: nobody may. */
    metricsScraper?: ServiceAccountRef;
    /** Container port (`AUTHZ_PORT`) and Service port. */
    port?: number;
    resources?: { requests: Record<string, string>; limits: Record<string, string> };
    /** What image pulls need before pods start (the kubelet's registry grant, the registry's private endpoint). */
    imageReady?: pulumi.Input<pulumi.Resource>[];
}

const APP = "edge-authorizer";

export class EdgeAuthorizer extends pulumi.ComponentResource {
    /** Where NGINX sends the auth subrequest: `authServiceName` `<namespace>/<service>` and port. */
    readonly service: { namespace: string; name: string; port: number };
    readonly serviceAccount: ServiceAccountRef;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly authorization: MeshAuthorization;
    /** What routes wait for: the running Deployment and its mesh authorization. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: EdgeAuthorizerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:edge:EdgeAuthorizer", name, {}, opts);
        assertReplicas(`EdgeAuthorizer ${name}`, args.replicas, args.highAvailability);
        if (args.audiences.length === 0) throw new Error(`EdgeAuthorizer ${name}: audiences must not be empty`);
        const namespace = args.namespace.name;
        const port = args.port ?? 8080;
        const selector = { "app.kubernetes.io/name": APP, "app.kubernetes.io/instance": name };
        const labels = { ...PLATFORM_LABELS, ...selector, "app.kubernetes.io/component": "edge-authorizer" };
        const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: [...args.namespace.ready] };

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: { name, namespace, labels }, automountServiceAccountToken: false },
            childOpts,
        );

        const issuer = args.issuer ?? `https://login.microsoftonline.com/${args.tenantId}/v2.0`;
        const env: k8s.types.input.core.v1.EnvVar[] = [
            { name: "AUTHZ_PORT", value: String(port) },
            { name: "AUTHZ_ISSUER", value: issuer },
            { name: "AUTHZ_AUDIENCES", value: pulumi.all(args.audiences).apply((audiences) => audiences.join(",")) },
            { name: "AUTHZ_TENANT_ID", value: args.tenantId },
        ];
        if (args.jwksUri) env.push({ name: "AUTHZ_JWKS_URI", value: args.jwksUri });
        if (args.clockSkewSeconds !== undefined) env.push({ name: "AUTHZ_CLOCK_SKEW_SECONDS", value: String(args.clockSkewSeconds) });

        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name, namespace, labels },
                spec: nodeServiceDeploymentSpec({
                    name,
                    container: APP,
                    replicas: args.replicas,
                    selector,
                    podLabels: labels,
                    image: args.image,
                    port,
                    env,
                    ...(args.resources ? { resources: args.resources } : {}),
                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                    volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }],
                    highAvailability: args.highAvailability,
                }),
            },
            { ...childOpts, dependsOn: [...args.namespace.ready, serviceAccount, ...(args.imageReady ?? [])] },
        );

        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name, namespace, labels },
                spec: {
                    type: "ClusterIP",
                    selector,
                    ports: [{ name: "http", port, targetPort: "http", protocol: "TCP", appProtocol: "http" }],
                },
            },
            childOpts,
        );

        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            { metadata: { name, namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
            childOpts,
        );

        this.authorization = new MeshAuthorization(
            `${name}-mesh`,
            {
                namespace: args.namespace,
                podSelector: selector,
                port: "http",
                proxyProtocol: "HTTP/1",
                clients: [args.ingress],
                http: {
                    paths: [{ type: "Exact", value: "/authorize" }],
                    probes: { paths: ["/healthz", "/readyz"], networks: args.probeNetworks },
                    ...(args.metricsScraper ? { additionalRoutes: [metricsGrant(args.metricsScraper)] } : {}),
                },
            },
            { parent: this },
        );

        this.ready = [this.deployment, this.authorization];
        this.service = { namespace, name, port };
        this.serviceAccount = { namespace, name };
        this.registerOutputs({ service: this.service, serviceAccount: this.serviceAccount });
    }
}
