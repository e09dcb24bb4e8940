/**
 * A team's model service behind the platform edge, safe by default: one component that creates
 *
 * - a Deployment with a hardened pod (non-root, read-only root filesystem, no privilege
 *   escalation, all capabilities dropped, RuntimeDefault seccomp), requests and limits, and a
 *   pinned image;
 * - its ServiceAccount, federated with the team's managed identity (the platform federates the
 *   ServiceAccounts it lists for the team; any other is refused here with the reason);
 * - a ClusterIP Service;
 * - through the platform's own ProtectedRoute: the Linkerd Server and AuthorizationPolicy that
 *   admit the ingress, the VirtualServerRoute the edge delegates the team's prefix to, and its
 *   externalAuth (platform authorizer, the roles asked for) and rateLimit Policies;
 * - an AuthorizationPolicy for any named in-mesh callers, on the same Server.
 *
 * Everything is derived from the platform's outputs, which the component reads itself from the
 * platform stack it is given (a PlatformReference: a StackReference checked against the outputs
 * contract), so a team names the platform stack, its service, image, port, roles and callers,
 * and nothing about the edge. The outputs are read in `initialize()`, which the component's base
 * constructor runs, and the children are declared under the component once they are known.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { USE_LABEL } from "./kit/azure/workload-identity-labels";
import { ProtectedRoute } from "./kit/edge/protected-route";
import { assertKubernetesName, childName, LINKERD_ANNOTATIONS, type ServiceAccountRef } from "./kit/mesh/types";
import { WorkloadServiceAccount } from "./kit/mesh/workload-service-account";
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from "./kit/pod-security";
import { PlatformReference } from "./platform-reference";

/** An in-mesh workload that may call the service directly (its Linkerd identity). */
export interface MeshCaller {
    /** Namespace of the caller's ServiceAccount. */
    namespace: string;
    /** The caller's ServiceAccount. */
    serviceAccount: string;
}

/** Requests and limits of the model container (set equal, so the pod is Guaranteed). */
export interface ContainerResources {
    /** CPU, in Kubernetes quantity notation (`500m`, `2`). */
    cpu: string;
    /** Memory, in Kubernetes quantity notation (`1Gi`). */
    memory: string;
}

/** Per-client rate limit at the edge. */
export interface RateLimit {
    requestsPerSecond: number;
    burst: number;
}

/**
 * Arguments of a ModelService. Plain values only (strings, numbers, lists, nested interfaces),
 * so that Pulumi's component-package analyzer accepts them and Python, Go, .NET and YAML
 * programs can fill them as well as TypeScript.
 */
export interface ModelServiceArgs {
    /** The platform stack, `<organization>/amlmesh/<environment>`; its outputs are read and checked against the contract. */
    platformStack: string;
    /** The team's name, as the platform onboarded it. */
    team: string;
    /** The team prefix to publish under (its `path`); the team's only prefix when omitted. */
    prefix?: string;
    /** Path published, at or under the prefix; the prefix itself when omitted. */
    path?: string;
    /** Container image, pinned: `registry/repo@sha256:<digest>` or a tag other than `latest`. */
    image: string;
    /** Port the model server listens on (also the Service port). */
    port: number;
    /** ServiceAccount of the pods; one of the ServiceAccounts the platform federated for the team. */
    serviceAccount: string;
    /** App roles (of the platform API) any of which admits a caller; at least one. */
    roles: string[];
    /** Replicas; at least 2 outside dev. Default 2. */
    replicas?: number;
    /** Requests and limits of the container (equal, so the pod is Guaranteed). Default 500m / 1Gi. */
    resources?: ContainerResources;
    /** Per-client rate limit; the platform's default when omitted. */
    rateLimit?: RateLimit;
    /** In-mesh workloads that may call the service directly, besides the edge. */
    callers?: MeshCaller[];
    /** HTTP path of the readiness and liveness probes. Default `/healthz`. */
    healthPath?: string;
}

/** What the component resolves once the platform's outputs are read. */
interface Published {
    namespace: string;
    url: string;
}

const PINNED_IMAGE = /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+(@sha256:[a-f0-9]{64}|:(?!latest$)[A-Za-z0-9._-]+)$/;

/**
 * The type token Pulumi's component provider host derives from the package name
 * (`@amlmesh/team-sdk` gives the package `team-sdk`); it must be `<package>:index:<Class>`.
 */
export const MODEL_SERVICE_TYPE = "team-sdk:index:ModelService";

/**
 * Prefixes already published in this program, by stack (the key outside a stack: the process).
 * The edge delegates a prefix to exactly one VirtualServerRoute, so a prefix has one ModelService.
 */
const published = new WeakMap<object, Map<string, string>>();
const OUTSIDE_A_STACK = {};

function claimPrefix(route: string, owner: string): string | undefined {
    const key = pulumi.runtime.getStackResource() ?? OUTSIDE_A_STACK;
    const claims = published.get(key) ?? new Map<string, string>();
    published.set(key, claims);
    const holder = claims.get(route);
    if (holder === undefined) claims.set(route, owner);
    return holder;
}

export class ModelService extends pulumi.ComponentResource<Published> {
    /** Namespace the service runs in (the prefix's namespace). */
    declare readonly namespace: pulumi.Output<string>;
    /** Where callers reach it: `https://<edge host><path>`. */
    declare readonly url: pulumi.Output<string>;

    constructor(name: string, args: ModelServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        assertKubernetesName("ModelService name", name);
        // The base constructor runs initialize(), which reads the platform's outputs and then
        // declares the children under this component (so a preview shows them).
        super(MODEL_SERVICE_TYPE, name, args, opts);
        const data = pulumi.output(this.getData());
        // `declare` fields: assigned here, after initialize() started, and not reset by class-field semantics.
        (this as { namespace: pulumi.Output<string> }).namespace = data.namespace;
        (this as { url: pulumi.Output<string> }).url = data.url;
        this.registerOutputs({ namespace: this.namespace, url: this.url });
    }

    protected override async initialize(input: pulumi.Inputs, _opts?: pulumi.ComponentResourceOptions, resourceName?: string): Promise<Published> {
        const args = input as ModelServiceArgs;
        const name = resourceName ?? "";
        const fail = (message: string): never => {
            throw new Error(`ModelService ${name}: ${message}`);
        };
        const platform = await new PlatformReference(args.platformStack, { parent: this }, `${name}-platform`).outputs();
        const team = platform.teams.find((candidate) => candidate.name === args.team) ?? fail(`team ${args.team} is not onboarded on the platform (onboarded: ${platform.teams.map((t) => t.name).join(", ") || "none"})`);
        const prefix =
            args.prefix === undefined
                ? team.prefixes.length === 1
                    ? team.prefixes[0]
                    : fail(`team ${team.name} has several prefixes (${team.prefixes.map((p) => p.path).join(", ")}); choose one with prefix`)
                : (team.prefixes.find((candidate) => candidate.path === args.prefix) ?? fail(`${args.prefix} is not one of team ${team.name}'s prefixes (${team.prefixes.map((p) => p.path).join(", ")})`));
        const holder = claimPrefix(prefix.delegatedTo, name);
        if (holder !== undefined) {
            fail(`prefix ${prefix.path} is already published by ModelService ${holder}; the edge delegates a prefix to one VirtualServerRoute (${prefix.delegatedTo}), so publish one service per prefix or ask the platform team for another prefix`);
        }
        const path = args.path ?? prefix.path;
        if (!path.startsWith(prefix.path)) fail(`path ${path} is outside the team's prefix ${prefix.path}`);
        if (!PINNED_IMAGE.test(args.image)) fail(`image ${args.image} is not pinned: use a digest (@sha256:...) or a tag other than latest`);
        if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) fail(`port must be an integer from 1 to 65535, got ${args.port}`);
        const namespace = prefix.namespace;
        const subject = `system:serviceaccount:${namespace}:${args.serviceAccount}`;
        if (!team.identity.subjects.includes(subject)) {
            fail(`ServiceAccount ${namespace}/${args.serviceAccount} is not federated with team ${team.name}'s identity (federated: ${team.identity.subjects.join(", ") || "none"}); ask the platform team to add it to workloadServiceAccounts`);
        }
        const knownRoles = platform.api.appRoles.map((role) => role.value);
        if (args.roles.length === 0) fail("at least one role is required; a route open to any token of the tenant is not allowed");
        for (const role of args.roles) if (!knownRoles.includes(role)) fail(`role ${role} is not an app role of the platform API (${knownRoles.join(", ")})`);
        const replicas = args.replicas ?? 2;
        if (!Number.isInteger(replicas) || replicas < 1) fail(`replicas must be a positive integer, got ${replicas}`);
        if (platform.environment !== "dev" && replicas < 2) fail(`${platform.environment} runs at least 2 replicas`);

        const handle = { name: namespace, ready: [] };
        const selector = { "app.kubernetes.io/name": name };
        const labels = { ...selector, "app.kubernetes.io/part-of": team.name, "app.kubernetes.io/managed-by": "pulumi" };
        const account = new WorkloadServiceAccount(
            `${name}-sa`,
            { namespace: handle, name: args.serviceAccount, clientId: team.identity.clientId, tenantId: platform.tenantId },
            { parent: this },
        );
        const resources = args.resources ?? { cpu: "500m", memory: "1Gi" };
        const health = args.healthPath ?? "/healthz";
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name, namespace, labels },
                spec: {
                    replicas,
                    revisionHistoryLimit: 5,
                    selector: { matchLabels: selector },
                    template: {
                        metadata: { labels: { ...labels, [USE_LABEL]: "true" }, annotations: { [LINKERD_ANNOTATIONS.inject]: "enabled" } },
                        spec: {
                            serviceAccountName: args.serviceAccount,
                            automountServiceAccountToken: false,
                            enableServiceLinks: false,
                            securityContext: RESTRICTED_POD_SECURITY,
                            containers: [
                                {
                                    name: "model",
                                    image: args.image,
                                    imagePullPolicy: "IfNotPresent",
                                    ports: [{ name: "http", containerPort: args.port, protocol: "TCP" }],
                                    resources: { requests: { ...resources }, limits: { ...resources } },
                                    securityContext: RESTRICTED_CONTAINER_SECURITY,
                                    readinessProbe: { httpGet: { path: health, port: "http" }, periodSeconds: 5, timeoutSeconds: 2 },
                                    livenessProbe: { httpGet: { path: health, port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                                },
                            ],
                            volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [account] },
        );
        const service = new k8s.core.v1.Service(
            name,
            { metadata: { name, namespace, labels }, spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: args.port, targetPort: "http", protocol: "TCP" }] } },
            { parent: this },
        );
        // The VirtualServerRoute must carry the name the edge delegates the prefix to.
        const route = new ProtectedRoute(
            prefix.route,
            {
                host: platform.edge.hostName,
                path,
                backend: { namespace: handle, service: name, port: args.port, serviceAccount: args.serviceAccount, podSelector: selector, targetPort: args.port },
                roles: [...args.roles],
                rateLimit: args.rateLimit ?? platform.edge.defaultRateLimit,
                edge: {
                    identity: { namespace: platform.edge.ingressIdentity.namespace, name: platform.edge.ingressIdentity.serviceAccount },
                    ingressClassName: platform.edge.ingressClassName,
                    authorizer: { namespace: platform.edge.authorizer.namespace, name: platform.edge.authorizer.name, port: platform.edge.authorizer.port },
                    ready: [service],
                },
            },
            { parent: this },
        );
        const callers = args.callers ?? [];
        if (callers.length > 0) this.admitCallers(name, namespace, route.backendAuthorization.server, callers.map((caller): ServiceAccountRef => ({ namespace: caller.namespace, name: caller.serviceAccount })));
        return { namespace, url: `https://${platform.edge.hostName}${path}` };
    }

    /** A second AuthorizationPolicy on the route's Server: Linkerd admits a client any policy admits. */
    private admitCallers(name: string, namespace: string, server: ProtectedRoute["backendAuthorization"]["server"], callers: ServiceAccountRef[]): void {
        for (const caller of callers) {
            assertKubernetesName(`ModelService ${name}: caller namespace`, caller.namespace);
            assertKubernetesName(`ModelService ${name}: caller serviceAccount`, caller.name);
        }
        const group = "policy.linkerd.io";
        const authName = childName(name, "mesh-callers");
        const authentication = new k8s.apiextensions.CustomResource(
            `${name}-mesh-callers`,
            {
                apiVersion: `${group}/v1alpha1`,
                kind: "MeshTLSAuthentication",
                metadata: { name: authName, namespace },
                spec: { identityRefs: callers.map((caller) => ({ kind: "ServiceAccount", name: caller.name, namespace: caller.namespace })) },
            },
            { parent: this },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-mesh-callers-policy`,
            {
                apiVersion: `${group}/v1alpha1`,
                kind: "AuthorizationPolicy",
                metadata: { name: authName, namespace },
                spec: {
                    targetRef: { group, kind: "Server", name: server.metadata.name },
                    requiredAuthenticationRefs: [{ group, kind: "MeshTLSAuthentication", name: authName }],
                },
            },
            { parent: this, dependsOn: [server, authentication] },
        );
    }
}
