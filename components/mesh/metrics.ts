/**
 * Metrics under a `deny` default: one scraper identity may GET `/metrics`, and nothing else
 * changes. This is the pattern `linkerd viz allow-scrapes` prints (linkerd2@edge-26.6.3,
 * `viz/cmd/allow-scrapes.go`): a Server on every meshed pod's `linkerd-admin` port, an HTTPRoute
 * for `/metrics` that only the Prometheus ServiceAccount may call, and an HTTPRoute for the
 * proxy's own probes (`/live`, `/ready`) for kubelet. Differences, all narrower: the scraper is
 * named in a MeshTLSAuthentication (the same check as a ServiceAccount reference), `/metrics` is an
 * Exact match rather than a prefix, and the probes come from the probe networks (node subnet and
 * pod CIDR) rather than `0.0.0.0/0`.
 *
 * The admin port also serves `/env.json` (the proxy's environment, to any client that reaches the
 * port) and `/shutdown`, `/proxy-log-level` (which the proxy answers for localhost only;
 * linkerd2-proxy `linkerd/app/admin/src/server.rs`). Once a route targets the Server, a request no
 * route matches is refused, so only the two routes above are reachable from outside.
 */
import type * as pulumi from "@pulumi/pulumi";
import { MeshAuthorization, type HttpPathMatch, type MeshRouteGrant } from "@amlmesh/team-sdk/kit/mesh/authorization";
import { childName, type NamespaceHandle, type ServiceAccountRef } from "@amlmesh/team-sdk/kit/mesh/types";

/** Name of the Linkerd proxy's admin container port (4191) in every injected pod (`_proxy.tpl`). */
export const PROXY_ADMIN_PORT = "linkerd-admin";
/** The proxy's own liveness and readiness paths on the admin port (`_proxy.tpl`). */
export const PROXY_PROBE_PATHS: readonly string[] = ["/live", "/ready"];
/** What a Prometheus scrape asks for, and the only path the scraper is admitted on. */
export const METRICS_PATHS: readonly HttpPathMatch[] = [{ type: "Exact", value: "/metrics" }];

/** The scraper's route on a Server that other clients also use (say, the authorizer's). */
export function metricsGrant(scraper: ServiceAccountRef): MeshRouteGrant {
    return { name: "metrics", paths: [...METRICS_PATHS], clients: [{ ...scraper }] };
}

export interface ProxyMetricsArgs {
    /** The meshed namespace whose proxies the scraper may read. */
    namespace: NamespaceHandle;
    /** The only identity admitted on `/metrics`. */
    scraper: ServiceAccountRef;
    /** Where kubelet probes come from (the proxy's own probes hit the same port). */
    probeNetworks: readonly string[];
}

/**
 * The proxies' admin port in one meshed namespace: the scraper on `/metrics`, kubelet on the
 * probe paths. Every pod of the namespace (`{}`): only injected pods have a `linkerd-admin` port.
 */
export function proxyMetricsAuthorization(args: ProxyMetricsArgs, opts?: pulumi.ComponentResourceOptions): MeshAuthorization {
    return new MeshAuthorization(
        childName("proxy-admin", args.namespace.name),
        {
            namespace: args.namespace,
            podSelector: {},
            port: PROXY_ADMIN_PORT,
            proxyProtocol: "HTTP/1",
            clients: [{ ...args.scraper }],
            http: { paths: [...METRICS_PATHS], probes: { paths: [...PROXY_PROBE_PATHS], networks: args.probeNetworks } },
        },
        opts,
    );
}
