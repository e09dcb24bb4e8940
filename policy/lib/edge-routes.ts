/**
 * How the F5 NGINX edge protects each route: which `k8s.nginx.org` Policies apply to every route
 * of a VirtualServer (spec-level policies plus route-level ones, and the subroutes of delegated
 * VirtualServerRoutes), and which Policies an Ingress names in `nginx.org/policies`.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { StackView } from "./define";
import { annotationOf, metadataOf, specOf } from "./kube";
import { ObjectIndex, displayName, namespaceOf, parseReference, type ObjectReference } from "./object-index";
import { isKubernetesKind, typeNameOf } from "./resource-types";
import { guardedTeamNamespaces } from "./tenancy";
import { isRecord, known, knownArray, knownRecord, knownString, UNKNOWN } from "./values";

const NGINX_GROUP = "k8s.nginx.org";

export const isVirtualServer = (type: string): boolean => isKubernetesKind(type, NGINX_GROUP, "VirtualServer");
export const isVirtualServerRoute = (type: string): boolean => isKubernetesKind(type, NGINX_GROUP, "VirtualServerRoute");
export const isNginxPolicy = (type: string): boolean => isKubernetesKind(type, NGINX_GROUP, "Policy");
export const isIngress = (type: string): boolean => isKubernetesKind(type, "networking.k8s.io", "Ingress");

/** One route as the edge serves it, with the Policies that apply to it. */
export interface EdgeRoute {
    /** The VirtualServer, VirtualServerRoute or Ingress that declares the route. */
    owner: PolicyResource;
    path: string;
    policies: PolicyResource[];
    /** References that name no Policy declared in this stack. */
    unresolved: string[];
    /**
     * Set when the route is delegated to a VirtualServerRoute of a guarded team namespace that
     * this stack does not declare (`<ns>/<name>`): the team's stack and the admission policies
     * answer for its policies, not this stack.
     */
    teamDelegation?: string;
}

export class EdgeGraph {
    readonly policies: ObjectIndex;
    private readonly routeObjects: ObjectIndex;
    private readonly teamNamespaces: Set<string>;

    constructor(private readonly stack: StackView) {
        this.policies = new ObjectIndex(stack.where(isNginxPolicy));
        this.routeObjects = new ObjectIndex(stack.where(isVirtualServerRoute));
        this.teamNamespaces = guardedTeamNamespaces(stack);
    }

    virtualServers(): PolicyResource[] {
        return this.stack.where(isVirtualServer);
    }

    ingresses(): PolicyResource[] {
        return this.stack.where(isIngress);
    }

    /** Every route of a VirtualServer (one pseudo-route `/` when it declares none). */
    virtualServerRoutes(virtualServer: PolicyResource): EdgeRoute[] {
        const spec = specOf(virtualServer);
        if (!spec) return [{ owner: virtualServer, path: "/", policies: [], unresolved: [] }];
        const serverLevel = this.resolvePolicyList(virtualServer, spec);
        const routes = knownArray(spec, "routes");
        if (routes === UNKNOWN || routes.length === 0) {
            return [{ owner: virtualServer, path: "/", policies: serverLevel.policies, unresolved: serverLevel.unresolved }];
        }
        const result: EdgeRoute[] = [];
        for (const route of routes) {
            const path = describePath(route);
            const routeLevel = this.resolvePolicyList(virtualServer, route);
            const delegated = knownString(route, "route");
            if (delegated === undefined) {
                result.push(merge(virtualServer, path, serverLevel, routeLevel));
                continue;
            }
            // A delegated route is served by the subroutes of a VirtualServerRoute, which inherit
            // the route's own policies as well as the server's.
            const inherited = merge(virtualServer, path, serverLevel, routeLevel);
            const reference = parseReference(delegated, namespaceOf(virtualServer));
            const targets = this.routeObjects.resolve(this.stack, virtualServer, reference, "spec");
            if (targets.length === 0) {
                const teamNamespace = typeof reference.namespace === "string" && this.teamNamespaces.has(reference.namespace);
                if (teamNamespace && typeof delegated === "string") result.push({ ...inherited, teamDelegation: delegated });
                else result.push({ ...inherited, unresolved: [`VirtualServerRoute ${delegated === UNKNOWN ? "?" : delegated}`] });
            }
            for (const target of targets) result.push(...this.subroutes(target, inherited));
        }
        return result;
    }

    private subroutes(routeObject: PolicyResource, inherited: ResolvedPolicies): EdgeRoute[] {
        const spec = specOf(routeObject);
        const subroutes = spec ? knownArray(spec, "subroutes") : [];
        if (subroutes === UNKNOWN || subroutes.length === 0) return [merge(routeObject, "/", inherited, { policies: [], unresolved: [] })];
        return subroutes.map((subroute) => merge(routeObject, describePath(subroute), inherited, this.resolvePolicyList(routeObject, subroute)));
    }

    /** The Policies an Ingress names in its `nginx.org/policies` annotation. */
    ingressRoute(ingress: PolicyResource): EdgeRoute {
        const annotation = annotationOf(metadataOf(ingress), "nginx.org/policies");
        const namespace = namespaceOf(ingress);
        if (annotation === UNKNOWN) {
            const policies = this.policies.resolve(this.stack, ingress, { name: UNKNOWN, namespace }, "metadata");
            return { owner: ingress, path: "/", policies, unresolved: [] };
        }
        const references: ObjectReference[] = (annotation ?? "")
            .split(",")
            .map((entry) => entry.trim())
            .filter((entry) => entry.length > 0)
            .map((entry) => parseReference(entry, namespace));
        const resolved = this.resolveReferences(ingress, references, "metadata");
        return { owner: ingress, path: "/", ...resolved };
    }

    private resolvePolicyList(owner: PolicyResource, holder: unknown): ResolvedPolicies {
        const list = knownArray(holder, "policies");
        const namespace = namespaceOf(owner);
        if (list === UNKNOWN) return this.resolveReferences(owner, [{ name: UNKNOWN, namespace }], "spec");
        const references = list.filter(isRecord).map((reference): ObjectReference => {
            const referenceNamespace = knownString(reference, "namespace");
            return { name: knownString(reference, "name"), namespace: referenceNamespace === undefined ? namespace : referenceNamespace };
        });
        return this.resolveReferences(owner, references, "spec");
    }

    private resolveReferences(owner: PolicyResource, references: ObjectReference[], dependencyProperty: string): ResolvedPolicies {
        const policies: PolicyResource[] = [];
        const unresolved: string[] = [];
        for (const reference of references) {
            const found = this.policies.resolve(this.stack, owner, reference, dependencyProperty);
            if (found.length === 0) unresolved.push(`Policy ${reference.namespace === UNKNOWN ? "?" : reference.namespace}/${typeof reference.name === "string" ? reference.name : "?"}`);
            policies.push(...found);
        }
        return { policies, unresolved };
    }
}

interface ResolvedPolicies {
    policies: PolicyResource[];
    unresolved: string[];
}

/**
 * The policies of a narrower level (route, subroute) on top of a broader one. As in the F5 NGINX
 * Ingress Controller, a narrower Policy of the same type (externalAuth, rateLimit, ...) overrides
 * the broader ones, so those are dropped; broader Policies of other types still apply.
 */
function merge(owner: PolicyResource, path: string, outer: ResolvedPolicies, inner: ResolvedPolicies): EdgeRoute {
    const overridden = new Set(inner.policies.flatMap(policyTypesOf));
    const kept = outer.policies.filter((policy) => !policyTypesOf(policy).some((type) => overridden.has(type)));
    return { owner, path, policies: [...kept, ...inner.policies], unresolved: [...outer.unresolved, ...inner.unresolved] };
}

/** `spec` fields of a Policy that are settings, not its type. */
const POLICY_SETTINGS = new Set(["ingressClassName"]);

/** A Policy's type: the section under `spec` (`externalAuth`, `rateLimit`, ...); none while `spec` is unknown. */
function policyTypesOf(policy: PolicyResource): string[] {
    const spec = specOf(policy);
    return spec ? Object.keys(spec).filter((key) => !POLICY_SETTINGS.has(key) && known(() => spec[key]) != null) : [];
}

function describePath(route: unknown): string {
    const path = knownString(route, "path");
    return typeof path === "string" ? path : "?";
}

/** True for a Policy with an `externalAuth` section naming the auth service and URI. */
export function hasExternalAuth(policy: PolicyResource): boolean {
    const spec = specOf(policy);
    if (!spec) return false;
    const externalAuth = knownRecord(spec, "externalAuth");
    // Unknown during preview: it cannot be shown to check tokens, so it does not count (fail closed).
    if (externalAuth === UNKNOWN) return false;
    return externalAuth !== undefined && knownString(externalAuth, "authServiceName") !== undefined && knownString(externalAuth, "authURI") !== undefined;
}

/** True for a Policy with an enforcing `rateLimit` section (a rate, not a dry run). */
export function hasRateLimit(policy: PolicyResource): boolean {
    const spec = specOf(policy);
    if (!spec) return false;
    const rateLimit = knownRecord(spec, "rateLimit");
    if (rateLimit === UNKNOWN) return false;
    return rateLimit !== undefined && knownString(rateLimit, "rate") !== undefined && known(() => rateLimit.dryRun) !== true;
}

export function describeRoute(route: EdgeRoute): string {
    return `${typeNameOf(route.owner.type)} ${displayName(route.owner)} route ${route.path}`;
}
