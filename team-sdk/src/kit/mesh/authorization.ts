/**
 * Who may connect to one port of a meshed workload: a Linkerd `Server` selecting the pods and
 * port, a `MeshTLSAuthentication` naming the allowed ServiceAccounts, and an
 * `AuthorizationPolicy` that requires it. Everything else is denied (`accessPolicy: deny`).
 *
 * Kubelet probes. Linkerd authorizes the HTTP probe paths declared in the pod spec, from the
 * control plane's `probeNetworks`, for as long as no HTTPRoute targets the Server. So:
 * - in the default (port-wide) mode no route is created and probes keep working without this
 *   component knowing the workload's probe paths — what backends owned by other teams need;
 * - in route mode (`http`), the allowed clients are limited to the listed paths, which means a
 *   route exists, so the probe paths must be given: they get their own HTTPRoute authorized by a
 *   `NetworkAuthentication` of the probe networks. The type makes routes without a word on
 *   probes unrepresentable; a port no probe hits says so with an empty list of paths.
 *   More clients, each on its own paths, get their own routes (`additionalRoutes`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertKubernetesName, childName, PLATFORM_LABELS, type NamespaceHandle, type ServiceAccountRef } from "./types";

/** `Server.spec.proxyProtocol`; `unknown` lets the proxy detect HTTP. */
export type MeshProxyProtocol = "unknown" | "HTTP/1" | "HTTP/2" | "gRPC" | "opaque" | "TLS";

export interface HttpPathMatch {
    type: "Exact" | "PathPrefix";
    value: string;
}

export interface MeshHttpRestriction {
    /** The paths the clients may call (any method). */
    paths: HttpPathMatch[];
    /**
     * The workload's kubelet probes, which need their own authorization once routes exist. No
     * paths: no probe hits this port (no probe route is made; an empty one would match everything).
     */
    probes: {
        /** HTTP GET probe paths (liveness, readiness, startup) served on this port. */
        paths: string[];
        /** Networks kubelet probes come from (MeshControlPlane.probeNetworks). */
        networks: readonly string[];
    };
    /** Other clients, each limited to its own paths on the same port (say, a metrics scraper). */
    additionalRoutes?: MeshRouteGrant[];
}

/** One more HTTPRoute on the Server, and who may call it. */
export interface MeshRouteGrant {
    /** Suffix of the route's object names (unique per authorization). */
    name: string;
    /** The only paths these clients may call. */
    paths: HttpPathMatch[];
    /** The mesh identities admitted on these paths. At least one. */
    clients: ServiceAccountRef[];
}

export interface MeshAuthorizationArgs {
    /** Namespace of the workload (objects are created after it). */
    namespace: NamespaceHandle;
    /** Labels of the workload's pods (`matchLabels`); `{}` selects every pod in the namespace. */
    podSelector: Record<string, string>;
    /** Container port number or name the workload listens on (not the Service port). */
    port: number | string;
    /** Protocol of the port; defaults to `unknown` (detected). Route mode needs an HTTP protocol. */
    proxyProtocol?: MeshProxyProtocol;
    /** The only mesh identities allowed to connect. At least one. */
    clients: ServiceAccountRef[];
    /** Limit the clients to these paths (creates HTTPRoutes, so probes must be declared). */
    http?: MeshHttpRestriction;
}

const POLICY_GROUP = "policy.linkerd.io";
/** The API version used for each Linkerd policy kind. */
const POLICY_API_VERSIONS = {
    Server: "v1beta3",
    HTTPRoute: "v1beta3",
    MeshTLSAuthentication: "v1alpha1",
    NetworkAuthentication: "v1alpha1",
    AuthorizationPolicy: "v1alpha1",
} as const;
type PolicyKind = keyof typeof POLICY_API_VERSIONS;

export class MeshAuthorization extends pulumi.ComponentResource {
    readonly server: k8s.apiextensions.CustomResource;
    readonly authentication: k8s.apiextensions.CustomResource;
    readonly policy: k8s.apiextensions.CustomResource;
    /** The probe route's authorization, in route mode. */
    readonly probePolicy?: k8s.apiextensions.CustomResource;
    /** The authorizations of `http.additionalRoutes`, in order. */
    readonly additionalPolicies: k8s.apiextensions.CustomResource[] = [];
    readonly namespace: string;
    /** The identities this authorization admits, for callers that reuse it. */
    readonly clients: readonly ServiceAccountRef[];

    constructor(name: string, args: MeshAuthorizationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:mesh:MeshAuthorization", name, {}, opts);
        assertKubernetesName("MeshAuthorization name", name);
        if (args.clients.length === 0) throw new Error(`MeshAuthorization ${name}: clients must name at least one ServiceAccount`);
        const protocol = args.proxyProtocol ?? (args.http ? "HTTP/1" : "unknown");
        if (args.http) {
            if (!["unknown", "HTTP/1", "HTTP/2", "gRPC"].includes(protocol)) {
                throw new Error(`MeshAuthorization ${name}: HTTP path restrictions need an HTTP proxyProtocol, got ${protocol}`);
            }
            if (args.http.paths.length === 0) throw new Error(`MeshAuthorization ${name}: http.paths must not be empty`);
            if (args.http.probes.paths.length > 0 && args.http.probes.networks.length === 0) throw new Error(`MeshAuthorization ${name}: http.probes.networks must not be empty`);
            for (const grant of args.http.additionalRoutes ?? []) {
                if (["clients", "probes"].includes(grant.name)) throw new Error(`MeshAuthorization ${name}: additional route name ${grant.name} is taken`);
                if (grant.paths.length === 0) throw new Error(`MeshAuthorization ${name}: additional route ${grant.name} needs paths (an empty match admits every path)`);
                if (grant.clients.length === 0) throw new Error(`MeshAuthorization ${name}: additional route ${grant.name} must name at least one ServiceAccount`);
            }
        }

        const namespace = args.namespace.name;
        const labels = { ...PLATFORM_LABELS };
        /** One Linkerd policy object in the workload's namespace, created after the namespace and `after`. */
        const policyObject = (resourceName: string, kind: PolicyKind, objectName: string, spec: Record<string, unknown>, after: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(
                resourceName,
                { apiVersion: `${POLICY_GROUP}/${POLICY_API_VERSIONS[kind]}`, kind, metadata: { name: objectName, namespace, labels }, spec },
                { parent: this, dependsOn: [...args.namespace.ready, ...after] },
            );

        this.server = policyObject(`${name}-server`, "Server", name, {
            podSelector: { matchLabels: { ...args.podSelector } },
            port: args.port,
            proxyProtocol: protocol,
            accessPolicy: "deny",
        });

        const clientsName = childName(name, "clients");
        this.authentication = policyObject(`${name}-clients`, "MeshTLSAuthentication", clientsName, {
            identityRefs: args.clients.map((client) => ({ kind: "ServiceAccount", name: client.name, namespace: client.namespace })),
        });

        const server = { group: POLICY_GROUP, kind: "Server", name };
        let target = server;
        const dependsOnTarget: pulumi.Resource[] = [this.server];
        if (args.http) {
            const route = policyObject(
                `${name}-route`,
                "HTTPRoute",
                name,
                { parentRefs: [server], rules: [{ matches: args.http.paths.map((path) => ({ path: { type: path.type, value: path.value } })) }] },
                [this.server],
            );
            target = { group: POLICY_GROUP, kind: "HTTPRoute", name };
            dependsOnTarget.push(route);

            if (args.http.probes.paths.length > 0) {
                const probeName = childName(name, "probes");
                const probeRoute = policyObject(
                    `${name}-probe-route`,
                    "HTTPRoute",
                    probeName,
                    { parentRefs: [server], rules: [{ matches: args.http.probes.paths.map((path) => ({ path: { type: "Exact", value: path }, method: "GET" })) }] },
                    [this.server],
                );
                const probeNetworks = policyObject(`${name}-probe-networks`, "NetworkAuthentication", probeName, {
                    networks: args.http.probes.networks.map((cidr) => ({ cidr })),
                });
                this.probePolicy = policyObject(
                    `${name}-probes`,
                    "AuthorizationPolicy",
                    probeName,
                    {
                        targetRef: { group: POLICY_GROUP, kind: "HTTPRoute", name: probeName },
                        requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: "NetworkAuthentication", name: probeName }],
                    },
                    [probeRoute, probeNetworks],
                );
            }

            for (const grant of args.http.additionalRoutes ?? []) {
                const grantName = childName(name, grant.name);
                const grantRoute = policyObject(
                    `${name}-${grant.name}-route`,
                    "HTTPRoute",
                    grantName,
                    { parentRefs: [server], rules: [{ matches: grant.paths.map((path) => ({ path: { type: path.type, value: path.value } })) }] },
                    [this.server],
                );
                const grantClients = policyObject(`${name}-${grant.name}-clients`, "MeshTLSAuthentication", grantName, {
                    identityRefs: grant.clients.map((client) => ({ kind: "ServiceAccount", name: client.name, namespace: client.namespace })),
                });
                this.additionalPolicies.push(
                    policyObject(
                        `${name}-${grant.name}`,
                        "AuthorizationPolicy",
                        grantName,
                        {
                            targetRef: { group: POLICY_GROUP, kind: "HTTPRoute", name: grantName },
                            requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: "MeshTLSAuthentication", name: grantName }],
                        },
                        [grantRoute, grantClients],
                    ),
                );
            }
        }

        this.policy = policyObject(
            `${name}-policy`,
            "AuthorizationPolicy",
            name,
            { targetRef: target, requiredAuthenticationRefs: [{ group: POLICY_GROUP, kind: "MeshTLSAuthentication", name: clientsName }] },
            [...dependsOnTarget, this.authentication],
        );

        this.namespace = namespace;
        this.clients = args.clients.map((client) => ({ ...client }));
        this.registerOutputs({ serverName: name, namespace, clients: this.clients });
    }
}
