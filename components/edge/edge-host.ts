/**
 * One host name on the edge: its VirtualServer (NGINX allows exactly one per host), in the
 * ingress namespace where the TLS Secret is synced, terminating TLS and delegating each path to
 * the ProtectedRoute that owns it (a VirtualServerRoute in the backend's namespace). Paths that
 * no route claims get NGINX's 404; plain HTTP is redirected (and not exposed on the load
 * balancer in the first place).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertKubernetesName, PLATFORM_LABELS, type NamespaceHandle } from "@amlmesh/team-sdk/kit/mesh/types";
import type { ProtectedRoute } from "@amlmesh/team-sdk/kit/edge/protected-route";

export interface EdgeHostArgs {
    /** The ingress controller's namespace (the TLS Secret must be in the VirtualServer's namespace). */
    namespace: NamespaceHandle;
    host: string;
    /** The `kubernetes.io/tls` Secret for the host, in `namespace`. */
    tlsSecretName: string;
    ingressClassName: string;
    /** The routes published on this host; at least one. */
    routes: ProtectedRoute[];
    /**
     * Prefixes delegated to VirtualServerRoutes the platform does not create (a team's, in the
     * team's namespace): `{ path, route: "<ns>/<name>" }`.
     */
    delegations?: { path: string; route: string }[];
}

export class EdgeHost extends pulumi.ComponentResource {
    readonly host: string;
    readonly virtualServer: k8s.apiextensions.CustomResource;

    constructor(name: string, args: EdgeHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:edge:EdgeHost", name, {}, opts);
        assertKubernetesName("EdgeHost name", name);
        if (args.routes.length === 0) throw new Error(`EdgeHost ${name}: a host needs at least one route`);
        const seen = new Set<string>();
        for (const route of args.routes) {
            if (route.host !== args.host) throw new Error(`EdgeHost ${name}: route for ${route.path} is published on ${route.host}, not ${args.host}`);
            if (seen.has(route.path)) throw new Error(`EdgeHost ${name}: ${args.host}${route.path} is published by two routes`);
            seen.add(route.path);
        }
        const delegations = args.delegations ?? [];
        for (const delegation of delegations) {
            if (seen.has(delegation.path)) throw new Error(`EdgeHost ${name}: ${args.host}${delegation.path} is published twice`);
            if (!/^[a-z0-9-]{1,63}\/[a-z0-9-]{1,63}$/.test(delegation.route)) throw new Error(`EdgeHost ${name}: delegation of ${delegation.path} must name <namespace>/<route>, got ${delegation.route}`);
            seen.add(delegation.path);
        }
        this.virtualServer = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "k8s.nginx.org/v1",
                kind: "VirtualServer",
                metadata: { name, namespace: args.namespace.name, labels: { ...PLATFORM_LABELS, "app.kubernetes.io/component": "edge-host" } },
                spec: {
                    host: args.host,
                    ingressClassName: args.ingressClassName,
                    tls: { secret: args.tlsSecretName, redirect: { enable: true, code: 308, basedOn: "scheme" } },
                    routes: [...args.routes.map((route) => ({ ...route.delegation })), ...delegations.map((delegation) => ({ ...delegation }))],
                },
            },
            { parent: this, dependsOn: [...args.namespace.ready, ...args.routes.map((route) => route.virtualServerRoute)] },
        );
        this.host = args.host;
        this.registerOutputs({ host: args.host, paths: [...args.routes.map((route) => route.path), ...delegations.map((delegation) => delegation.path)] });
    }
}
