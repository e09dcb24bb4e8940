/**
 * The identity thread of a plan as a graph, drawn from the evaluated resources (never from the
 * stack config): who holds which app role, the routes those roles open and the backends behind
 * them, the mesh identities each backend admits, the Azure roles each identity holds at which
 * scope, and the external tokens or ServiceAccounts each identity is federated with.
 *
 * Principals are joined by their object ID, the value both Entra app-role assignments and Azure
 * role assignments carry, so one identity is one node however many grants it has.
 */
import { builtInRoleName, customRoleName } from "../components/azure/roles";
import type { PlanDocument, PlanDocumentResource } from "./document";
import { isObject } from "./wire";

export type NodeGroup = "external" | "principal" | "app-role" | "route" | "backend" | "mesh-identity" | "azure-scope";

export interface GraphNode {
    id: string;
    label: string;
    group: NodeGroup;
}

export interface GraphEdge {
    from: string;
    to: string;
    label: string;
    /** Drawn dotted: an identity relation rather than a call (federation, mesh admission). */
    dotted?: boolean;
}

export interface IdentityGraph {
    nodes: GraphNode[];
    edges: GraphEdge[];
}

export const RESOURCE_TYPES = {
    appRoleAssignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
    application: "azuread:index/application:Application",
    applicationFederation: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    roleAssignment: "azure-native:authorization:RoleAssignment",
    identityFederation: "azure-native:managedidentity:FederatedIdentityCredential",
    virtualServerRoute: "kubernetes:k8s.nginx.org/v1:VirtualServerRoute",
    nginxPolicy: "kubernetes:k8s.nginx.org/v1:Policy",
    server: "kubernetes:policy.linkerd.io/v1beta3:Server",
    httpRoute: "kubernetes:policy.linkerd.io/v1beta3:HTTPRoute",
    authorizationPolicy: "kubernetes:policy.linkerd.io/v1alpha1:AuthorizationPolicy",
    meshTlsAuthentication: "kubernetes:policy.linkerd.io/v1alpha1:MeshTLSAuthentication",
    networkAuthentication: "kubernetes:policy.linkerd.io/v1alpha1:NetworkAuthentication",
} as const;

/** Node IDs: Mermaid accepts letters, digits and underscores. */
export function nodeId(prefix: string, ...parts: string[]): string {
    return `${prefix}_${parts.join("_").replace(/[^A-Za-z0-9]+/g, "_")}`;
}

/** An Azure scope without the subscription and resource group it shares with the platform. */
export function shortScope(scope: string): string {
    const provider = /\/providers\/(.+)$/.exec(scope);
    if (provider) return provider[1];
    const group = /\/resourceGroups\/([^/]+)$/i.exec(scope);
    if (group) return `resource group ${group[1]}`;
    return scope;
}

const text = (value: unknown): string => (typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value));
const get = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((current, key) => (isObject(current) ? current[key] : undefined), value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The principal name a role assignment's description carries (`amlmesh: <role> for <name> on …`). */
function describedPrincipal(assignment: PlanDocumentResource): string | undefined {
    return /\bfor (\S+) on\b/.exec(text(assignment.inputs.description))?.[1];
}

export function buildIdentityGraph(document: PlanDocument): IdentityGraph {
    const byUrn = new Map(document.resources.map((resource) => [resource.urn, resource]));
    const ofType = (type: string) => document.resources.filter((resource) => resource.type === type);
    const component = (resource: PlanDocumentResource | undefined): string | undefined => {
        let parent = resource?.parent ? byUrn.get(resource.parent) : undefined;
        while (parent && parent.custom) parent = parent.parent ? byUrn.get(parent.parent) : undefined;
        return parent?.urn;
    };

    const nodes = new Map<string, GraphNode>();
    const edges: GraphEdge[] = [];
    const node = (id: string, label: string, group: NodeGroup): string => {
        if (!nodes.has(id)) nodes.set(id, { id, label, group });
        return id;
    };

    // Principals: object ID → what made it (the resource its ID came from) and its name.
    interface PrincipalInfo {
        id: string;
        names: Set<string>;
        kind?: string;
        sources: Set<string>;
    }
    const principals = new Map<string, PrincipalInfo>();
    const principal = (objectId: string, source: string[] | undefined, name?: string, kind?: string): PrincipalInfo => {
        let info = principals.get(objectId);
        if (!info) principals.set(objectId, (info = { id: nodeId("p", objectId), names: new Set(), sources: new Set() }));
        if (name) info.names.add(name);
        if (kind && !info.kind) info.kind = kind;
        for (const urn of source ?? []) info.sources.add(urn);
        return info;
    };
    const kindOf = (sourceUrn: string | undefined, principalType: unknown): string => {
        const source = sourceUrn ? byUrn.get(sourceUrn) : undefined;
        if (source?.type.endsWith(":ServicePrincipal")) return "app registration";
        if (source?.type.endsWith(":UserAssignedIdentity")) return "managed identity";
        if (source) return "system-assigned identity";
        if (principalType === "Group") return "Entra group";
        if (principalType === "User") return "user";
        return "service principal";
    };

    const appRoleValues = new Map<string, string>();
    for (const application of ofType(RESOURCE_TYPES.application)) {
        for (const role of list(application.inputs.appRoles)) appRoleValues.set(text(get(role, "id")), text(get(role, "value")));
    }

    const roleAssignments = ofType(RESOURCE_TYPES.roleAssignment);
    for (const assignment of roleAssignments) {
        const source = assignment.propertyDependencies.principalId;
        principal(text(assignment.inputs.principalId), source, describedPrincipal(assignment), kindOf(source?.[0], assignment.inputs.principalType));
    }
    const appRoleAssignments = ofType(RESOURCE_TYPES.appRoleAssignment);
    for (const assignment of appRoleAssignments) {
        const source = assignment.propertyDependencies.principalObjectId;
        principal(text(assignment.inputs.principalObjectId), source, undefined, kindOf(source?.[0], source ? undefined : "Group"));
    }
    /** The name an administrator sees: the display name of the app registration in a component, else the component's name. */
    const displayNameIn = (componentUrn: string | undefined): string | undefined => {
        const application = document.resources.find((resource) => resource.type === RESOURCE_TYPES.application && component(resource) === componentUrn);
        return text(application?.inputs.displayName) || byUrn.get(componentUrn ?? "")?.name;
    };
    const principalNode = (objectId: string): string => {
        const info = principals.get(objectId) ?? principal(objectId, undefined);
        const source = [...info.sources].map((urn) => byUrn.get(urn)).find(Boolean);
        const name = [...info.names][0] ?? (source ? displayNameIn(component(source)) ?? source.name : objectId);
        return node(info.id, `${name}<br/><i>${info.kind ?? "principal"}</i>`, "principal");
    };
    /** The principal created inside a component (a FederatedApplication, a WorkloadIdentity). */
    const principalOfComponent = (componentUrn: string | undefined): string | undefined => {
        for (const [objectId, info] of principals) {
            if ([...info.sources].some((urn) => urn === componentUrn || component(byUrn.get(urn)) === componentUrn)) return objectId;
        }
        return undefined;
    };
    const principalOfResource = (urn: string | undefined): string | undefined => {
        for (const [objectId, info] of principals) if (urn && info.sources.has(urn)) return objectId;
        return undefined;
    };

    // Callers and the app roles they hold.
    for (const assignment of appRoleAssignments) {
        const roleId = text(assignment.inputs.appRoleId);
        const role = appRoleValues.get(roleId) ?? roleId;
        edges.push({ from: principalNode(text(assignment.inputs.principalObjectId)), to: node(nodeId("r", role), `app role ${role}`, "app-role"), label: "holds" });
    }

    // External tokens an app registration trusts.
    for (const credential of ofType(RESOURCE_TYPES.applicationFederation)) {
        const owner = component(credential);
        const objectId = principalOfComponent(owner);
        // An app registration that holds no role yet (a deploy pipeline) is still an identity worth seeing.
        const ownerName = displayNameIn(owner) ?? credential.name;
        const to = objectId ? principalNode(objectId) : node(nodeId("app", ownerName), `${ownerName}<br/><i>app registration</i>`, "principal");
        const subject = text(credential.inputs.subject);
        const issuer = text(credential.inputs.issuer).replace(/^https:\/\//, "");
        const from = node(nodeId("x", issuer, subject), `token ${subject}<br/><i>from ${issuer}</i>`, "external");
        edges.push({ from, to, label: "federated", dotted: true });
    }

    // Kubernetes ServiceAccounts federated with managed identities (workload identity).
    const serviceAccount = (namespace: string, name: string) => node(nodeId("sa", namespace, name), `ServiceAccount ${namespace}/${name}`, "mesh-identity");
    for (const credential of ofType(RESOURCE_TYPES.identityFederation)) {
        const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(text(credential.inputs.subject));
        const objectId = principalOfResource(credential.propertyDependencies.resourceName?.[0] ?? credential.parent ?? undefined);
        if (!match || !objectId) continue;
        edges.push({ from: serviceAccount(match[1], match[2]), to: principalNode(objectId), label: "workload identity", dotted: true });
    }

    // Routes: the roles their externalAuth policy requires, and the backends behind them.
    const policies = new Map(ofType(RESOURCE_TYPES.nginxPolicy).map((policy) => [`${text(get(policy.inputs, "metadata", "namespace"))}/${text(get(policy.inputs, "metadata", "name"))}`, policy]));
    const backendsByComponent = new Map<string, string[]>();
    for (const route of ofType(RESOURCE_TYPES.virtualServerRoute)) {
        const namespace = text(get(route.inputs, "metadata", "namespace"));
        const host = text(get(route.inputs, "spec", "host"));
        const upstreams = new Map(list(get(route.inputs, "spec", "upstreams")).map((upstream) => [text(get(upstream, "name")), upstream]));
        for (const subroute of list(get(route.inputs, "spec", "subroutes"))) {
            const path = text(get(subroute, "path"));
            const routeNode = node(nodeId("rt", namespace, text(get(route.inputs, "metadata", "name")), path), `route ${host}${path}`, "route");
            const roles = list(get(subroute, "policies")).flatMap((reference) => {
                const policy = policies.get(`${text(get(reference, "namespace")) || namespace}/${text(get(reference, "name"))}`);
                const uri = text(get(policy?.inputs, "spec", "externalAuth", "authURI"));
                if (!uri) return [];
                return new URL(uri, "http://authorizer").searchParams.getAll("roles").flatMap((value) => value.split(",")).filter(Boolean);
            });
            for (const role of roles) edges.push({ from: node(nodeId("r", role), `app role ${role}`, "app-role"), to: routeNode, label: "opens" });
            if (roles.length === 0) nodes.get(routeNode)!.label += "<br/><b>no token check</b>";
            // `pass`, or `proxy` when the route sets request headers (the blanked identity headers).
            const upstream = upstreams.get(text(get(subroute, "action", "pass")) || text(get(subroute, "action", "proxy", "upstream")));
            if (!upstream) continue;
            const service = text(get(upstream, "service"));
            const port = text(get(upstream, "port"));
            const backend = node(nodeId("b", namespace, service, port), `Service ${namespace}/${service}:${port}`, "backend");
            edges.push({ from: routeNode, to: backend, label: "to" });
            const owner = component(route);
            if (owner) backendsByComponent.set(owner, [...(backendsByComponent.get(owner) ?? []), backend]);
        }
    }

    // Mesh: for each Linkerd Server, the identities its AuthorizationPolicies admit.
    const named = (type: string) => new Map(ofType(type).map((resource) => [`${text(get(resource.inputs, "metadata", "namespace"))}/${text(get(resource.inputs, "metadata", "name"))}`, resource]));
    const meshTls = named(RESOURCE_TYPES.meshTlsAuthentication);
    const networks = named(RESOURCE_TYPES.networkAuthentication);
    const httpRoutes = named(RESOURCE_TYPES.httpRoute);
    const authorizations = ofType(RESOURCE_TYPES.authorizationPolicy);
    for (const server of ofType(RESOURCE_TYPES.server)) {
        const namespace = text(get(server.inputs, "metadata", "namespace"));
        const name = text(get(server.inputs, "metadata", "name"));
        // The backend this Server guards: one behind a route of the same component tree, else the Server itself.
        let owner = component(server);
        let targets: string[] | undefined;
        while (owner && !(targets = backendsByComponent.get(owner))) owner = component(byUrn.get(owner));
        const guarded = targets?.filter((id) => id.startsWith(nodeId("b", namespace))) ?? [];
        if (guarded.length === 0) guarded.push(node(nodeId("srv", namespace, name), `Server ${namespace}/${name} port ${text(get(server.inputs, "spec", "port"))}`, "backend"));

        for (const policy of authorizations.filter((candidate) => text(get(candidate.inputs, "metadata", "namespace")) === namespace)) {
            const target = get(policy.inputs, "spec", "targetRef");
            const targetName = text(get(target, "name"));
            const viaRoute = get(target, "kind") === "HTTPRoute" && list(get(httpRoutes.get(`${namespace}/${targetName}`)?.inputs, "spec", "parentRefs")).some((ref) => text(get(ref, "name")) === name);
            if (!(get(target, "kind") === "Server" && targetName === name) && !viaRoute) continue;
            for (const reference of list(get(policy.inputs, "spec", "requiredAuthenticationRefs"))) {
                const key = `${text(get(reference, "namespace")) || namespace}/${text(get(reference, "name"))}`;
                for (const identity of list(get(meshTls.get(key)?.inputs, "spec", "identityRefs"))) {
                    const from =
                        get(identity, "kind") === "ServiceAccount"
                            ? serviceAccount(text(get(identity, "namespace")) || namespace, text(get(identity, "name")))
                            : node(nodeId("mi", text(get(identity, "kind")), text(get(identity, "name"))), `${text(get(identity, "kind"))} ${text(get(identity, "name"))}`, "mesh-identity");
                    for (const to of guarded) edges.push({ from, to, label: "mTLS admitted", dotted: true });
                }
                for (const network of list(get(networks.get(key)?.inputs, "spec", "networks"))) {
                    const cidr = text(get(network, "cidr"));
                    const from = node(nodeId("net", cidr), `network ${cidr}`, "mesh-identity");
                    for (const to of guarded) edges.push({ from, to, label: viaRoute ? `admitted on ${targetName}` : "admitted", dotted: true });
                }
            }
        }
    }

    // Azure RBAC: every role assignment, from its principal to its scope.
    for (const assignment of roleAssignments) {
        const definition = text(assignment.inputs.roleDefinitionId);
        const scope = text(assignment.inputs.scope);
        edges.push({
            from: principalNode(text(assignment.inputs.principalId)),
            to: node(nodeId("s", shortScope(scope)), shortScope(scope), "azure-scope"),
            label: builtInRoleName(definition) ?? customRoleName(definition, scope) ?? definition,
        });
    }

    return { nodes: [...nodes.values()], edges };
}

const GROUP_TITLES: Record<NodeGroup, string> = {
    external: "External tokens",
    principal: "Identities",
    "app-role": "App roles (platform API)",
    route: "Edge routes (token checked by the edge authorizer)",
    backend: "Backends (Linkerd default-deny)",
    "mesh-identity": "Mesh and workload identities",
    "azure-scope": "Azure scopes",
};

/** Text inside a quoted Mermaid label: quotes become entity codes. */
function label(value: string): string {
    return value.replace(/"/g, "#quot;");
}

/** The graph as a Mermaid flowchart (GitHub renders ```mermaid blocks in summaries and comments). */
export function toMermaid(graph: IdentityGraph): string {
    const lines = ["flowchart LR"];
    for (const group of Object.keys(GROUP_TITLES) as NodeGroup[]) {
        const members = graph.nodes.filter((candidate) => candidate.group === group);
        if (members.length === 0) continue;
        lines.push(`  subgraph g_${group.replace(/-/g, "_")}["${label(GROUP_TITLES[group])}"]`);
        for (const member of members) lines.push(`    ${member.id}["${label(member.label)}"]`);
        lines.push("  end");
    }
    for (const edge of graph.edges) lines.push(`  ${edge.from} ${edge.dotted ? "-.->" : "-->"}|"${label(edge.label)}"| ${edge.to}`);
    return lines.join("\n");
}
