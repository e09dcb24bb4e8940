/**
 * One published path: the unit a team uses to put a service behind the edge.
 *
 * NGINX allows one VirtualServer per host, so a route cannot own the VirtualServer. The host's
 * VirtualServer (EdgeHost, in the ingress namespace, next to the TLS Secret) delegates the
 * path to this route's VirtualServerRoute, which lives in the backend's namespace (NGINX only
 * resolves upstream Services in the resource's own namespace) together with its policies:
 *
 * - `externalAuth`: NGINX asks the edge authorizer (`/authorize?route=<ns>/<name>&roles=...`)
 *   before every request; the token must carry one of the roles (or scopes), else 401/403. The
 *   route in the authURI makes it unique (the controller keeps only the first auth location of
 *   a repeated authURI on a host) and names the route in the authorizer's logs;
 * - the backend learns the caller from the verified token in Authorization, which it may check
 *   again; every client-sent identity header (CLIENT_IDENTITY_HEADERS) is blanked;
 * - `rateLimit`: per client address (`${binary_remote_addr}`, the real client behind a trusted
 *   gateway), 429 beyond rate + burst, the rate divided over the controller replicas (`scale`);
 * - the upstream is the Service's cluster IP, so Linkerd carries the request with mTLS;
 * - the backend's mesh authorization admits the ingress controller's identity and nothing else.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MeshAuthorization, type MeshProxyProtocol } from "../mesh/authorization";
import { assertKubernetesName, childName, PLATFORM_LABELS, type NamespaceHandle, type ServiceAccountRef } from "../mesh/types";
import { CLIENT_IDENTITY_HEADERS } from "./identity-headers";

/** What a route needs to know about the installed edge. */
export interface EdgeRef {
    /** The ingress controller's mesh identity (the only client backends admit). */
    identity: ServiceAccountRef;
    ingressClassName: string;
    /** The edge authorizer's Service. */
    authorizer: { namespace: string; name: string; port: number };
    /**
     * What must be in place before routes are created: the controller release (it installs the
     * k8s.nginx.org CRDs) and the authorizer (without it every request would fail).
     */
    ready: pulumi.Resource[];
}

export interface ProtectedRouteBackend {
    /** The backend's (meshed) namespace. */
    namespace: NamespaceHandle;
    /** Service name (the upstream; NGINX sends to its cluster IP). */
    service: string;
    /** Service port. */
    port: number;
    /** ServiceAccount the backend pods run as (their mesh identity). */
    serviceAccount: string;
    /** Labels selecting the backend pods, for its Linkerd Server. */
    podSelector: Record<string, string>;
    /** Container port behind the Service port, when it differs (number or name). */
    targetPort?: number | string;
    /** The backend terminates TLS itself (NGINX then speaks HTTPS to it). */
    tls?: boolean;
    /** Protocol of the backend port for Linkerd; detected when omitted. */
    proxyProtocol?: MeshProxyProtocol;
}

export interface ProtectedRouteArgs {
    /** Host name the route is published on (its EdgeHost must use the same). */
    host: string;
    /** Path prefix, e.g. `/models/churn`. */
    path: string;
    backend: ProtectedRouteBackend;
    /** App roles, any of which admits a token. At least one role or scope. */
    roles: string[];
    /** Delegated scopes (`scp`), any of which admits a user token. */
    scopes?: string[];
    /** Per-client rate limit. */
    rateLimit: { requestsPerSecond: number; burst: number };
    edge: EdgeRef;
    /**
     * The backend port's mesh authorization when another route already created it (two
     * routes to the same backend must share one Linkerd Server). It must admit exactly the
     * ingress identity.
     */
    backendAuthorization?: MeshAuthorization;
}

const UPSTREAM = "backend";

export class ProtectedRoute extends pulumi.ComponentResource {
    /** The route's name (its resources are named after it). */
    readonly routeName: string;
    readonly host: string;
    readonly path: string;
    /** App roles that admit a caller (any of them). */
    readonly roles: readonly string[];
    /** The VirtualServer route entry that delegates this path: `{ path, route: "<ns>/<name>" }`. */
    readonly delegation: { path: string; route: string };
    readonly virtualServerRoute: k8s.apiextensions.CustomResource;
    readonly authPolicy: k8s.apiextensions.CustomResource;
    readonly rateLimitPolicy: k8s.apiextensions.CustomResource;
    readonly backendAuthorization: MeshAuthorization;
    /** The `authURI` NGINX calls on the authorizer. */
    readonly authUri: string;

    constructor(name: string, args: ProtectedRouteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:edge:ProtectedRoute", name, {}, opts);
        assertKubernetesName("ProtectedRoute name", name);
        validate(name, args);
        this.routeName = name;
        this.roles = [...args.roles];
        const namespace = args.backend.namespace.name;
        const labels = { ...PLATFORM_LABELS, "app.kubernetes.io/component": "protected-route", "edge.amlmesh.io/route": name };
        const after = [...args.backend.namespace.ready, ...args.edge.ready];
        const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: after };
        const authName = childName(name, "authz");
        const rateLimitName = childName(name, "rate-limit");

        const scopes = args.scopes ?? [];
        this.authUri = `/authorize?route=${namespace}/${name}&roles=${args.roles.join(",")}${scopes.length > 0 ? `&scopes=${scopes.join(",")}` : ""}`;
        this.authPolicy = new k8s.apiextensions.CustomResource(
            `${name}-authz`,
            {
                apiVersion: "k8s.nginx.org/v1",
                kind: "Policy",
                metadata: { name: authName, namespace, labels },
                spec: {
                    ingressClassName: args.edge.ingressClassName,
                    externalAuth: {
                        authServiceName: `${args.edge.authorizer.namespace}/${args.edge.authorizer.name}`,
                        authServicePorts: [args.edge.authorizer.port],
                        authURI: this.authUri,
                    },
                },
            },
            childOpts,
        );

        this.rateLimitPolicy = new k8s.apiextensions.CustomResource(
            `${name}-rate-limit`,
            {
                apiVersion: "k8s.nginx.org/v1",
                kind: "Policy",
                metadata: { name: rateLimitName, namespace, labels },
                spec: {
                    ingressClassName: args.edge.ingressClassName,
                    rateLimit: {
                        key: "${binary_remote_addr}",
                        rate: `${args.rateLimit.requestsPerSecond}r/s`,
                        ...(args.rateLimit.burst > 0 ? { burst: args.rateLimit.burst, noDelay: true } : {}),
                        zoneSize: "10m",
                        // Each controller replica counts in its own zone; `scale` divides the
                        // rate by the replicas serving, so the limit holds for the edge as a whole.
                        scale: true,
                        rejectCode: 429,
                        logLevel: "warn",
                    },
                },
            },
            childOpts,
        );

        this.virtualServerRoute = new k8s.apiextensions.CustomResource(
            `${name}-route`,
            {
                apiVersion: "k8s.nginx.org/v1",
                kind: "VirtualServerRoute",
                metadata: { name, namespace, labels },
                spec: {
                    host: args.host,
                    ingressClassName: args.edge.ingressClassName,
                    upstreams: [
                        {
                            name: UPSTREAM,
                            service: args.backend.service,
                            port: args.backend.port,
                            "use-cluster-ip": true,
                            keepalive: 32,
                            ...(args.backend.tls ? { tls: { enable: true } } : {}),
                        },
                    ],
                    subroutes: [
                        {
                            path: args.path,
                            policies: [{ name: authName }, { name: rateLimitName }],
                            action: {
                                proxy: {
                                    upstream: UPSTREAM,
                                    // An empty value removes the header: a client cannot pose as someone else.
                                    requestHeaders: { set: CLIENT_IDENTITY_HEADERS.map((header) => ({ name: header, value: "" })) },
                                },
                            },
                        },
                    ],
                },
            },
            { ...childOpts, dependsOn: [...after, this.authPolicy, this.rateLimitPolicy] },
        );

        if (args.backendAuthorization) {
            const shared = args.backendAuthorization;
            const admitsOnlyIngress =
                shared.clients.length === 1 && shared.clients[0].namespace === args.edge.identity.namespace && shared.clients[0].name === args.edge.identity.name;
            if (!admitsOnlyIngress || shared.namespace !== namespace) {
                throw new Error(`ProtectedRoute ${name}: the shared backend authorization must be in ${namespace} and admit only the ingress identity`);
            }
            this.backendAuthorization = shared;
        } else {
            this.backendAuthorization = new MeshAuthorization(
                childName(name, "backend"),
                {
                    namespace: args.backend.namespace,
                    podSelector: args.backend.podSelector,
                    port: args.backend.targetPort ?? args.backend.port,
                    ...(args.backend.proxyProtocol ? { proxyProtocol: args.backend.proxyProtocol } : {}),
                    clients: [args.edge.identity],
                },
                { parent: this },
            );
        }

        this.host = args.host;
        this.path = args.path;
        this.delegation = { path: args.path, route: `${namespace}/${name}` };
        this.registerOutputs({ host: this.host, path: this.path, delegation: this.delegation, authUri: this.authUri });
    }
}

function validate(name: string, args: ProtectedRouteArgs): void {
    const fail = (message: string): never => {
        throw new Error(`ProtectedRoute ${name}: ${message}`);
    };
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(args.path)) fail(`path "${args.path}" must be an absolute URL path prefix like /models/churn`);
    if (args.roles.length === 0 && (args.scopes ?? []).length === 0) fail("at least one role or scope is required; a route open to any token of the tenant is not allowed");
    for (const value of [...args.roles, ...(args.scopes ?? [])]) {
        if (!/^[A-Za-z0-9._-]{1,128}$/.test(value)) fail(`role or scope "${value}" may only contain letters, digits, '.', '_' and '-'`);
    }
    const { requestsPerSecond, burst } = args.rateLimit;
    if (!Number.isInteger(requestsPerSecond) || requestsPerSecond < 1) fail(`rateLimit.requestsPerSecond must be a positive integer, got ${requestsPerSecond}`);
    if (!Number.isInteger(burst) || burst < 0) fail(`rateLimit.burst must be a non-negative integer, got ${burst}`);
    if (!Number.isInteger(args.backend.port) || args.backend.port < 1 || args.backend.port > 65535) fail(`backend.port ${args.backend.port} is not a port`);
    assertKubernetesName(`ProtectedRoute ${name}: backend.service`, args.backend.service);
    assertKubernetesName(`ProtectedRoute ${name}: backend.serviceAccount`, args.backend.serviceAccount);
}
