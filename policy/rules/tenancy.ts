/**
 * Tenancy: the zero-trust edge and mesh rules as they apply to a team's own stack, which
 * declares VirtualServerRoutes that the platform's VirtualServer delegates to (so no VirtualServer
 * of its own), in namespaces the platform created. They hold on the platform stack too.
 *
 * - every VirtualServerRoute subroute names, in its own namespace, an externalAuth Policy to the
 *   platform authorizer and an enforcing rateLimit Policy (its own policies replace the platform's);
 * - a VirtualServerRoute no VirtualServer in the stack delegates to is one the platform delegated:
 *   it must be listed in `delegations` (from the platform outputs' `teams[].prefixes`), and its
 *   subroutes stay under that prefix;
 * - upstreams are Services of the route's own namespace;
 * - no cluster-scoped RBAC;
 * - every declared namespace is meshed with a non-permissive default, with workloads or not.
 */
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { stackPolicy, type AmlmeshPolicy, type StackView } from "../lib/define";
import { hasRateLimit, isNginxPolicy, isVirtualServer, isVirtualServerRoute } from "../lib/edge-routes";
import { annotationOf, metadataOf, specOf } from "../lib/kube";
import { INBOUND_POLICY_ANNOTATION, INJECT_ANNOTATION, isNonPermissiveInboundPolicy } from "../lib/mesh";
import { displayName, nameOf, namespaceOf, ObjectIndex, parseReference } from "../lib/object-index";
import { isKubernetesKind, RESOURCE_TYPES } from "../lib/resource-types";
import { DEFAULT_MESH_EXEMPT_NAMESPACES, meshExemptionSchema, stringListSetting } from "../lib/settings";
import { isRecord, knownArray, knownRecord, knownString, UNKNOWN } from "../lib/values";

/** The platform's edge authorizer, `<namespace>/<service>` (the platform outputs' `edge.authorizer.authServiceName`). */
export const DEFAULT_PLATFORM_AUTHORIZER = "edge-authorizer/edge-authorizer";

const authorizerSchema: PolicyConfigSchema = {
    properties: {
        authorizer: {
            type: "string",
            default: DEFAULT_PLATFORM_AUTHORIZER,
            description: "The platform authorizer every externalAuth Policy must name (platform outputs: edge.authorizer.authServiceName).",
        },
    },
};

const delegationSchema: PolicyConfigSchema = {
    properties: {
        delegations: {
            type: "array",
            items: {
                type: "object",
                properties: { path: { type: "string" }, delegatedTo: { type: "string" } },
                required: ["path", "delegatedTo"],
            },
            default: [],
            description: "Prefixes the platform delegates to this stack's VirtualServerRoutes (platform outputs: teams[].prefixes[] { path, delegatedTo }).",
        },
    },
};

interface Delegation {
    path: string;
    delegatedTo: string;
}

function delegationsSetting(config: object): Delegation[] {
    const value = (config as { delegations?: unknown }).delegations;
    if (!Array.isArray(value)) return [];
    return value.filter((item): item is Delegation => isRecord(item) && typeof item.path === "string" && typeof item.delegatedTo === "string");
}

function authorizerSetting(config: object): string {
    const value = (config as { authorizer?: unknown }).authorizer;
    return typeof value === "string" && value !== "" ? value : DEFAULT_PLATFORM_AUTHORIZER;
}

/** `spec.externalAuth.authServiceName` of a Policy, qualified by the Policy's namespace when bare. */
function authServiceOf(policy: PolicyResource): string | typeof UNKNOWN | undefined {
    const spec = specOf(policy);
    const externalAuth = spec ? knownRecord(spec, "externalAuth") : undefined;
    if (externalAuth === UNKNOWN) return UNKNOWN;
    if (!externalAuth) return undefined;
    const service = knownString(externalAuth, "authServiceName");
    if (typeof service !== "string") return service;
    const namespace = namespaceOf(policy);
    return service.includes("/") || typeof namespace !== "string" ? service : `${namespace}/${service}`;
}

/** Auth policy types other than externalAuth; a team route must not bring its own. */
const OTHER_AUTH_TYPES = ["basicAuth", "apiKey", "jwt", "oidc", "ingressMTLS"];

const routeGuarded = stackPolicy({
    name: "team-route-guarded",
    description:
        "Every VirtualServerRoute subroute lists, in its own namespace, an externalAuth Policy that names the platform authorizer and an enforcing rateLimit " +
        "Policy; Policies point auth nowhere else. A subroute's own policies replace the delegating VirtualServer's, so nothing above can make up for a gap.",
    category: "mesh-edge",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Publish with the team SDK (or ProtectedRoute): each subroute names an externalAuth Policy with authServiceName set to the platform authorizer " +
        "(platform outputs edge.authorizer.authServiceName) and a rateLimit Policy without dryRun, both in the route's namespace.",
    controls: { soc2: ["CC6.1", "CC6.6"], hipaa: ["164.312(d)", "164.312(a)(1)"] },
    configSchema: authorizerSchema,
    validate: (stack, args, reportViolation) => {
        const authorizer = authorizerSetting(args.getConfig());
        const policies = new ObjectIndex(stack.where(isNginxPolicy));
        for (const policy of policies.objects) {
            const service = authServiceOf(policy);
            if (typeof service === "string" && service !== authorizer) {
                reportViolation(`Policy ${displayName(policy)} sends auth to ${service}, not the platform authorizer ${authorizer}.`, policy.urn);
            }
            const spec = specOf(policy);
            const other = spec ? OTHER_AUTH_TYPES.filter((type) => knownRecord(spec, type) !== undefined) : [];
            if (other.length > 0) reportViolation(`Policy ${displayName(policy)} is ${other.join(", ")}: team routes authenticate only through the platform authorizer.`, policy.urn);
        }
        const routes = stack.where(isVirtualServerRoute);
        if (routes.length === 0) return args.notApplicable("No VirtualServerRoutes in this stack.");
        for (const route of routes) {
            const spec = specOf(route);
            const subroutes = spec ? knownArray(spec, "subroutes") : [];
            if (subroutes === UNKNOWN) continue;
            const routeNamespace = namespaceOf(route);
            if (subroutes.length === 0) reportViolation(`VirtualServerRoute ${displayName(route)} has no subroutes.`, route.urn);
            for (const subroute of subroutes) {
                const path = knownString(subroute, "path");
                const where = `VirtualServerRoute ${displayName(route)} subroute ${typeof path === "string" ? path : "?"}`;
                const list = knownArray(subroute, "policies");
                if (list === UNKNOWN) continue;
                const resolved: PolicyResource[] = [];
                for (const reference of list.filter(isRecord)) {
                    const namespace = knownString(reference, "namespace");
                    if (typeof namespace === "string" && typeof routeNamespace === "string" && namespace !== routeNamespace) {
                        reportViolation(`${where} names a Policy in namespace ${namespace}; a route uses Policies of its own namespace (${routeNamespace}).`, route.urn);
                        continue;
                    }
                    const found = policies.resolve(stack, route, { name: knownString(reference, "name"), namespace: namespace ?? routeNamespace }, "spec");
                    if (found.length === 0) reportViolation(`${where} names Policy ${String(knownString(reference, "name") ?? "?")}, which this stack does not declare.`, route.urn);
                    resolved.push(...found);
                }
                if (!resolved.some((policy) => authServiceOf(policy) === authorizer)) {
                    reportViolation(`${where} has no externalAuth Policy naming the platform authorizer ${authorizer}: it would be published without a token check.`, route.urn);
                }
                if (!resolved.some(hasRateLimit)) reportViolation(`${where} has no enforcing rateLimit Policy.`, route.urn);
            }
        }
    },
});

const routeWithinPrefix = stackPolicy({
    name: "team-route-within-prefix",
    description:
        "A VirtualServerRoute that no VirtualServer in this stack delegates to is one the platform delegates a prefix to: it is listed in `delegations`, " +
        "and every subroute path starts with that prefix. Nothing is published outside the team's prefixes.",
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Name the VirtualServerRoute and namespace the platform delegates to (platform outputs teams[].prefixes[].delegatedTo), list them in this rule's " +
        "`delegations` config, and keep every subroute path under the prefix.",
    controls: { soc2: ["CC6.1", "CC6.6"], hipaa: [] },
    configSchema: delegationSchema,
    validate: (stack, args, reportViolation) => {
        const delegations = delegationsSetting(args.getConfig());
        const routes = stack.where(isVirtualServerRoute);
        if (routes.length === 0) return args.notApplicable("No VirtualServerRoutes in this stack.");
        const delegatedHere = delegatedByVirtualServers(stack);
        for (const route of routes) {
            const name = nameOf(route);
            const namespace = namespaceOf(route);
            if (typeof name !== "string" || typeof namespace !== "string") continue;
            const key = `${namespace}/${name}`;
            const prefixes = [...(delegatedHere.get(key) ?? []), ...delegations.filter((d) => d.delegatedTo === key).map((d) => d.path)];
            if (prefixes.length === 0) {
                reportViolation(`VirtualServerRoute ${key} is not one the platform delegates a prefix to (delegations: ${delegations.map((d) => `${d.path} → ${d.delegatedTo}`).join(", ") || "none"}).`, route.urn);
                continue;
            }
            const spec = specOf(route);
            const subroutes = spec ? knownArray(spec, "subroutes") : [];
            if (subroutes === UNKNOWN) continue;
            for (const subroute of subroutes) {
                const path = knownString(subroute, "path");
                if (typeof path !== "string") continue;
                if (!prefixes.some((prefix) => path.startsWith(prefix))) {
                    reportViolation(`VirtualServerRoute ${key} subroute ${path} is outside its prefix ${prefixes.join(" or ")}.`, route.urn);
                }
            }
        }
    },
});

/** `<ns>/<name>` of each VirtualServerRoute a VirtualServer in the stack delegates to, with the route paths. */
function delegatedByVirtualServers(stack: StackView): Map<string, string[]> {
    const result = new Map<string, string[]>();
    for (const server of stack.where(isVirtualServer)) {
        const spec = specOf(server);
        const routes = spec ? knownArray(spec, "routes") : [];
        if (routes === UNKNOWN) continue;
        for (const route of routes) {
            const target = knownString(route, "route");
            const path = knownString(route, "path");
            if (typeof target !== "string" || typeof path !== "string") continue;
            const reference = parseReference(target, namespaceOf(server));
            if (typeof reference.namespace !== "string" || typeof reference.name !== "string") continue;
            const key = `${reference.namespace}/${reference.name}`;
            result.set(key, [...(result.get(key) ?? []), path]);
        }
    }
    return result;
}

const upstreamSameNamespace = stackPolicy({
    name: "edge-upstream-same-namespace",
    description:
        "VirtualServer and VirtualServerRoute upstreams name Services of their own namespace: edge traffic carries the ingress identity, so a route " +
        "into another namespace would reach backends that admit the edge on someone else's behalf.",
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: "Use a bare Service name in upstreams[].service, and publish another namespace's service from that namespace.",
    controls: { soc2: ["CC6.1", "CC6.6"], hipaa: ["164.312(a)(1)"] },
    validate: (stack, args, reportViolation) => {
        const owners = [...stack.where(isVirtualServer), ...stack.where(isVirtualServerRoute)];
        if (owners.length === 0) return args.notApplicable("No VirtualServers or VirtualServerRoutes in this stack.");
        for (const owner of owners) {
            const spec = specOf(owner);
            const upstreams = spec ? knownArray(spec, "upstreams") : [];
            if (upstreams === UNKNOWN) continue;
            for (const upstream of upstreams) {
                const service = knownString(upstream, "service");
                if (typeof service === "string" && service.includes("/")) {
                    reportViolation(`${displayName(owner)} upstream ${String(knownString(upstream, "name") ?? "?")} sends to ${service}, a Service of another namespace.`, owner.urn);
                }
            }
        }
    },
});

const isClusterRbac = (type: string): boolean =>
    isKubernetesKind(type, "rbac.authorization.k8s.io", "ClusterRole") || isKubernetesKind(type, "rbac.authorization.k8s.io", "ClusterRoleBinding");

const noClusterRbac = stackPolicy({
    name: "kubernetes-no-cluster-rbac",
    description: "The stack declares no ClusterRole or ClusterRoleBinding, and binds no ClusterRole in a namespace: rights stay namespaced and named.",
    category: "identity",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: "Declare a namespaced Role with the verbs and resources needed and bind it with a RoleBinding.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)"] },
    validate: (stack, args, reportViolation) => {
        const bindings = stack.where((type) => isKubernetesKind(type, "rbac.authorization.k8s.io", "RoleBinding"));
        const clusterScoped = stack.where(isClusterRbac);
        if (bindings.length === 0 && clusterScoped.length === 0) return args.notApplicable("No RBAC objects in this stack.");
        for (const resource of clusterScoped) reportViolation(`${displayName(resource)} grants rights across the cluster.`, resource.urn);
        for (const binding of bindings) {
            const roleRef = knownRecord(binding.props, "roleRef");
            if (roleRef !== UNKNOWN && roleRef && knownString(roleRef, "kind") === "ClusterRole") {
                reportViolation(`RoleBinding ${displayName(binding)} binds ClusterRole ${String(knownString(roleRef, "name") ?? "?")}; bind a namespaced Role.`, binding.urn);
            }
        }
    },
});

const namespacesMeshed = stackPolicy({
    name: "mesh-namespace-declared-meshed",
    description: "Every namespace the stack declares is meshed with a non-permissive default inbound policy, whether or not it runs workloads yet.",
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: `Annotate the namespace '${INJECT_ANNOTATION}: enabled' and '${INBOUND_POLICY_ANNOTATION}: deny' (or all-authenticated).`,
    controls: { soc2: ["CC6.1", "CC6.6"], hipaa: ["164.312(e)(1)"] },
    configSchema: meshExemptionSchema,
    validate: (stack, args, reportViolation) => {
        const exempt = new Set(stringListSetting(args.getConfig(), "exemptNamespaces", DEFAULT_MESH_EXEMPT_NAMESPACES));
        const namespaces = stack.ofType(RESOURCE_TYPES.namespace).filter((namespace) => {
            const name = nameOf(namespace);
            return !(typeof name === "string" && exempt.has(name));
        });
        if (namespaces.length === 0) return args.notApplicable("No namespaces declared outside the exempt ones.");
        for (const namespace of namespaces) {
            const metadata = metadataOf(namespace);
            const inject = annotationOf(metadata, INJECT_ANNOTATION);
            const inbound = annotationOf(metadata, INBOUND_POLICY_ANNOTATION);
            if (inject === UNKNOWN || inbound === UNKNOWN) continue;
            if (inject !== "enabled") reportViolation(`Namespace ${displayName(namespace)} is not meshed (${INJECT_ANNOTATION}: ${inject ?? "missing"}).`, namespace.urn);
            if (inbound === undefined || !isNonPermissiveInboundPolicy(inbound)) {
                reportViolation(`Namespace ${displayName(namespace)} has default inbound policy ${inbound ?? "missing"}; use deny or all-authenticated.`, namespace.urn);
            }
        }
    },
});

export const tenancyPolicies: AmlmeshPolicy[] = [routeGuarded, routeWithinPrefix, upstreamSameNamespace, noClusterRbac, namespacesMeshed];
