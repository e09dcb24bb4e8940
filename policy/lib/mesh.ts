/**
 * Linkerd facts the mesh rules need: which namespaces host workloads, and which Servers an
 * AuthorizationPolicy covers (directly, through an HTTPRoute attached to the Server, or
 * namespace-wide).
 */
import type { PolicyResource } from "@pulumi/policy";
import type { StackView } from "./define";
import { DEFAULT_NAMESPACE, metadataOf, namespaceOfObject, specOf } from "./kube";
import { displayName, ObjectIndex, namespaceOf, type ObjectReference } from "./object-index";
import { isKubernetesKind, RESOURCE_TYPES, WORKLOAD_TYPES } from "./resource-types";
import { isRecord, known, knownArray, knownRecord, knownString, sameText, UNKNOWN, type Unknown } from "./values";

export const INJECT_ANNOTATION = "linkerd.io/inject";
export const INBOUND_POLICY_ANNOTATION = "config.linkerd.io/default-inbound-policy";
/** Default inbound policies that require a client identity (or deny outright). */
export const NON_PERMISSIVE_INBOUND_POLICIES = ["deny", "all-authenticated", "cluster-authenticated"] as const;

export function isNonPermissiveInboundPolicy(value: string): boolean {
    return (NON_PERMISSIVE_INBOUND_POLICIES as readonly string[]).includes(value);
}

/** Something that runs pods in a namespace: a workload, a Helm release, an AML Kubernetes compute. */
export interface NamespaceTenant {
    resource: PolicyResource;
    /** The namespace name, or UNKNOWN while it is computed from another resource's output. */
    namespace: string | Unknown;
    /** The input property that carries the namespace (for dependency lookups). */
    property: string;
}

export function namespaceTenants(stack: StackView): NamespaceTenant[] {
    const tenants: NamespaceTenant[] = [];
    for (const type of WORKLOAD_TYPES) {
        for (const resource of stack.ofType(type)) {
            tenants.push({ resource, namespace: namespaceOfObject(metadataOf(resource)), property: "metadata" });
        }
    }
    for (const resource of stack.ofType(RESOURCE_TYPES.helmRelease)) {
        const namespace = knownString(resource.props, "namespace");
        tenants.push({ resource, namespace: namespace === undefined || namespace === "" ? DEFAULT_NAMESPACE : namespace, property: "namespace" });
    }
    for (const resource of stack.ofType(RESOURCE_TYPES.mlCompute)) {
        const compute = knownRecord(resource.props, "properties");
        if (compute === UNKNOWN || !compute || !sameText(knownString(compute, "computeType"), "Kubernetes")) continue;
        const settings = knownRecord(compute, "properties");
        const namespace = settings === UNKNOWN ? UNKNOWN : knownString(settings, "namespace");
        tenants.push({ resource, namespace: namespace === undefined ? DEFAULT_NAMESPACE : namespace, property: "properties" });
    }
    return tenants;
}

const LINKERD_GROUP = "policy.linkerd.io";
const GATEWAY_GROUP = "gateway.networking.k8s.io";

export const isLinkerdServer = (type: string): boolean => isKubernetesKind(type, LINKERD_GROUP, "Server");
const isAuthorizationPolicy = (type: string): boolean => isKubernetesKind(type, LINKERD_GROUP, "AuthorizationPolicy");
const isRoute = (type: string): boolean =>
    [LINKERD_GROUP, GATEWAY_GROUP].some((group) => isKubernetesKind(type, group, "HTTPRoute") || isKubernetesKind(type, group, "GRPCRoute"));

/** The Servers that at least one AuthorizationPolicy with required authentications covers. */
export function coveredServers(stack: StackView): { servers: PolicyResource[]; covered: Set<PolicyResource> } {
    const servers = new ObjectIndex(stack.where(isLinkerdServer));
    const routes = new ObjectIndex(stack.where(isRoute));
    const covered = new Set<PolicyResource>();
    for (const authorization of stack.where(isAuthorizationPolicy)) {
        const spec = specOf(authorization);
        if (!spec) continue;
        // An empty list of required authentications admits every client: it protects nothing.
        const authentications = knownArray(spec, "requiredAuthenticationRefs");
        if (authentications !== UNKNOWN && authentications.length === 0) continue;
        const target = knownRecord(spec, "targetRef");
        if (!target || target === UNKNOWN) continue;
        const kind = knownString(target, "kind");
        const reference: ObjectReference = { name: knownString(target, "name"), namespace: namespaceOf(authorization) };
        if (kind === "Server") {
            for (const server of servers.resolve(stack, authorization, reference, "spec")) covered.add(server);
        } else if (kind === "HTTPRoute" || kind === "GRPCRoute") {
            for (const route of routes.resolve(stack, authorization, reference, "spec")) {
                for (const server of parentServers(stack, route, servers)) covered.add(server);
            }
        } else if (kind === "Namespace" && typeof reference.name === "string") {
            for (const server of servers.inNamespace(reference.name)) covered.add(server);
        }
    }
    return { servers: [...servers.objects], covered };
}

function parentServers(stack: StackView, route: PolicyResource, servers: ObjectIndex): PolicyResource[] {
    const spec = specOf(route);
    if (!spec) return [];
    const parents = knownArray(spec, "parentRefs");
    if (parents === UNKNOWN) return servers.resolve(stack, route, { name: UNKNOWN, namespace: namespaceOf(route) }, "spec");
    return parents.filter(isRecord).flatMap((parent) => {
        if (knownString(parent, "kind") !== "Server") return [];
        const namespace = knownString(parent, "namespace");
        return servers.resolve(stack, route, { name: knownString(parent, "name"), namespace: namespace ?? namespaceOf(route) }, "spec");
    });
}

/** The Linkerd proxy's admin port (4191, named `linkerd-admin`): metrics, probes, and also `/env.json`, `/shutdown`. */
export const PROXY_ADMIN_PORTS: readonly (string | number)[] = ["linkerd-admin", 4191];
/** The proxy's own probe paths on the admin port. */
const PROXY_PROBE_PATHS = new Set(["/live", "/ready"]);
const METRICS_PATH = "/metrics";

const isAuthentication = (kind: string) => (type: string) => isKubernetesKind(type, LINKERD_GROUP, kind);

export interface MetricsAccessProblem {
    urn: string;
    message: string;
}

/**
 * Who may read metrics, and what else the proxy admin port lets through:
 * - an admin-port Server is never authorized port-wide (directly or namespace-wide): its routes
 *   are the proxy's probes (Exact `/live`, `/ready`) or metrics;
 * - a metrics route (every match is the path `/metrics`), on any Server, admits exactly one mesh
 *   identity and no network.
 * Anything that cannot be read during preview counts as a problem (fail closed).
 */
export function metricsAccessProblems(stack: StackView): MetricsAccessProblem[] {
    const problems: MetricsAccessProblem[] = [];
    const servers = new ObjectIndex(stack.where(isLinkerdServer));
    const routes = new ObjectIndex(stack.where(isRoute));
    const meshTls = new ObjectIndex(stack.where(isAuthentication("MeshTLSAuthentication")));
    const adminServers = new Set(
        servers.objects.filter((server) => {
            const spec = specOf(server);
            const port = spec ? known(() => spec.port) : undefined;
            return port === UNKNOWN || PROXY_ADMIN_PORTS.includes(port as string | number);
        }),
    );
    const onAdmin = (list: PolicyResource[]) => list.some((server) => adminServers.has(server));

    for (const authorization of stack.where(isAuthorizationPolicy)) {
        const spec = specOf(authorization);
        const target = spec ? knownRecord(spec, "targetRef") : undefined;
        if (!target) continue;
        const label = `AuthorizationPolicy ${displayName(authorization)}`;
        if (target === UNKNOWN) {
            if (adminServers.size > 0) problems.push({ urn: authorization.urn, message: `${label} has a target unknown during preview, so it may open the proxy admin port.` });
            continue;
        }
        const kind = knownString(target, "kind");
        const reference: ObjectReference = { name: knownString(target, "name"), namespace: namespaceOf(authorization) };
        if (kind === "Server" && onAdmin(servers.resolve(stack, authorization, reference, "spec"))) {
            problems.push({ urn: authorization.urn, message: `${label} opens the whole proxy admin port (it also serves the proxy's environment at /env.json); authorize an HTTPRoute for /metrics instead.` });
        } else if (kind === "Namespace" && typeof reference.name === "string" && onAdmin(servers.inNamespace(reference.name))) {
            problems.push({ urn: authorization.urn, message: `${label} covers every Server of namespace ${reference.name}, the proxy admin port included; authorize HTTPRoutes instead.` });
        } else if (kind === "HTTPRoute" || kind === "GRPCRoute") {
            for (const route of routes.resolve(stack, authorization, reference, "spec")) {
                const paths = routePaths(route);
                const admin = onAdmin(parentServers(stack, route, servers));
                const probesOnly = paths !== UNKNOWN && paths.length > 0 && paths.every((path) => path.type === "Exact" && PROXY_PROBE_PATHS.has(path.value));
                const metricsOnly = paths !== UNKNOWN && paths.length > 0 && paths.every((path) => path.value === METRICS_PATH && path.type === "Exact");
                if (admin && !probesOnly && !metricsOnly) {
                    problems.push({ urn: authorization.urn, message: `${label} admits ${describePaths(paths)} on the proxy admin port; only Exact /metrics (one scraper) and the probes /live, /ready may be reached there.` });
                }
                if (metricsOnly) {
                    const identities = admittedIdentities(stack, authorization, meshTls);
                    if (identities !== 1) {
                        problems.push({ urn: authorization.urn, message: `${label} admits ${identities === UNKNOWN ? "clients unknown during preview" : identities === "wide" ? "a network, a namespace or any identity" : `${identities} identities`} on /metrics; name exactly one scraper identity.` });
                    }
                }
            }
        }
    }
    return problems;
}

interface PathMatch {
    type: string;
    value: string;
}

/** Every path match of the route's rules; a rule without matches (or a match without a path) matches every path. */
function routePaths(route: PolicyResource): PathMatch[] | Unknown {
    const spec = specOf(route);
    const rules = spec ? knownArray(spec, "rules") : [];
    if (rules === UNKNOWN) return UNKNOWN;
    const paths: PathMatch[] = [];
    for (const rule of rules) {
        const matches = knownArray(rule, "matches");
        if (matches === UNKNOWN) return UNKNOWN;
        if (matches.length === 0) paths.push({ type: "PathPrefix", value: "/" });
        for (const match of matches) {
            const path = knownRecord(match, "path");
            if (path === UNKNOWN) return UNKNOWN;
            const value = path ? knownString(path, "value") : "/";
            const type = path ? knownString(path, "type") : "PathPrefix";
            if (value === UNKNOWN || type === UNKNOWN) return UNKNOWN;
            paths.push({ type: type ?? "PathPrefix", value: value ?? "/" });
        }
    }
    return paths;
}

function describePaths(paths: PathMatch[] | Unknown): string {
    return paths === UNKNOWN ? "paths unknown during preview" : paths.map((path) => `${path.value} (${path.type})`).join(", ") || "every path";
}

/** How many mesh identities the policy requires one of: a count, "wide" (a network, a namespace, `*`), or unknown. */
function admittedIdentities(stack: StackView, authorization: PolicyResource, meshTls: ObjectIndex): number | "wide" | Unknown {
    const spec = specOf(authorization);
    const refs = spec ? knownArray(spec, "requiredAuthenticationRefs") : [];
    if (refs === UNKNOWN) return UNKNOWN;
    let count = 0;
    for (const ref of refs) {
        const kind = knownString(ref, "kind");
        if (kind === UNKNOWN) return UNKNOWN;
        if (kind === "ServiceAccount") {
            count++;
            continue;
        }
        if (kind !== "MeshTLSAuthentication") return "wide";
        const namespace = knownString(ref, "namespace");
        const reference: ObjectReference = { name: knownString(ref, "name"), namespace: namespace ?? namespaceOf(authorization) };
        const found = meshTls.resolve(stack, authorization, reference, "spec");
        if (found.length === 0) return UNKNOWN;
        for (const authentication of found) {
            const authSpec = specOf(authentication);
            const identityRefs = authSpec ? knownArray(authSpec, "identityRefs") : [];
            const identities = authSpec ? knownArray(authSpec, "identities") : [];
            if (identityRefs === UNKNOWN || identities === UNKNOWN) return UNKNOWN;
            if (identities.some((identity) => identity === "*" || (typeof identity === "string" && identity.startsWith("*")))) return "wide";
            for (const identityRef of identityRefs) {
                const refKind = knownString(identityRef, "kind");
                const refName = knownString(identityRef, "name");
                if (refKind === UNKNOWN || refName === UNKNOWN) return UNKNOWN;
                if (refKind !== "ServiceAccount" || refName === undefined || refName === "*") return "wide";
            }
            count += identityRefs.length + identities.length;
        }
    }
    return count;
}
