/**
 * Linkerd facts the mesh rules need: which namespaces host workloads, and which Servers an
 * AuthorizationPolicy covers (directly, through an HTTPRoute attached to the Server, or
 * namespace-wide).
 */
import type { PolicyResource } from "@pulumi/policy";
import type { StackView } from "./define";
import { DEFAULT_NAMESPACE, metadataOf, namespaceOfObject, specOf } from "./kube";
import { ObjectIndex, namespaceOf, type ObjectReference } from "./object-index";
import { isKubernetesKind, RESOURCE_TYPES, WORKLOAD_TYPES } from "./resource-types";
import { isRecord, knownArray, knownRecord, knownString, sameText, UNKNOWN, type Unknown } from "./values";

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
