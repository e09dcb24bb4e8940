/**
 * What the platform gives an onboarded team on the cluster, in each of the team's (already
 * meshed) namespaces:
 *
 * - a ResourceQuota and a LimitRange (defaults, so a pod without resources still counts);
 * - a namespaced Role and a RoleBinding for the team's Entra group: the workload objects, and the
 *   custom resources a team publishes with (NGINX VirtualServerRoute and Policy, Linkerd Server,
 *   HTTPRoute, AuthorizationPolicy, MeshTLSAuthentication). No cluster scope, no RBAC objects, no
 *   quota or namespace writes, no NetworkAuthentication (it would admit callers without a mesh
 *   identity), no Secrets (workloads reach Key Vault through workload identity).
 *
 * Why a Kubernetes Role rather than a custom Azure role: AKS's built-in "RBAC Writer" has no
 * custom-resource actions, and a custom Azure role can only grant custom resources as a whole
 * (`managedClusters/customresources/*`), narrowed to groups/kinds only by an ABAC condition
 * that is in preview. A Role names each group and resource, is GA, and is reviewed here like code.
 * With Azure RBAC for Kubernetes authorization on, AKS evaluates Kubernetes RBAC bindings as well,
 * with Entra groups as subjects by object ID.
 *
 * The edge side (delegating the team's prefixes to its VirtualServerRoutes) is the host's: this
 * component only states the delegations.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertKubernetesName, childName, PLATFORM_LABELS, type NamespaceHandle } from "@amlmesh/team-sdk/kit/mesh/types";

const EDIT = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];

/** The team's rights in each of its namespaces, by API group and resource. */
export const TEAM_ROLE_RULES: readonly { apiGroups: string[]; resources: string[]; verbs: string[] }[] = [
    { apiGroups: [""], resources: ["services", "configmaps", "serviceaccounts", "persistentvolumeclaims"], verbs: EDIT },
    { apiGroups: [""], resources: ["pods", "pods/log", "events", "endpoints", "resourcequotas", "limitranges"], verbs: READ },
    { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: EDIT },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: EDIT },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: EDIT },
    { apiGroups: ["k8s.nginx.org"], resources: ["virtualserverroutes", "policies"], verbs: EDIT },
    { apiGroups: ["policy.linkerd.io"], resources: ["servers", "httproutes", "authorizationpolicies", "meshtlsauthentications"], verbs: EDIT },
    { apiGroups: ["policy.linkerd.io"], resources: ["networkauthentications"], verbs: READ },
];

export interface TeamTenancyArgs {
    /** Team name (labels and object names). */
    team: string;
    /** Object ID of the team's Entra group (the RoleBinding's subject). */
    groupObjectId: string;
    /** The team's namespaces, meshed by the platform. */
    namespaces: NamespaceHandle[];
    /** ResourceQuota `hard` of each namespace. */
    quota: { requestsCpu: string; requestsMemory: string; limitsCpu: string; limitsMemory: string; pods: number };
    /** LimitRange default (and default request) of each container. */
    containerDefaults: { cpu: string; memory: string };
    /** Path prefixes on the edge host and the team VirtualServerRoute each is delegated to. */
    prefixes: { path: string; namespace: string; route: string }[];
    /**
     * The admission policies that hold in team namespaces: the team's access is granted only
     * once they are in place, so nothing the team creates predates them.
     */
    guardrails: pulumi.Resource[];
}

export class TeamTenancy extends pulumi.ComponentResource {
    readonly team: string;
    readonly namespaces: string[];
    /** VirtualServer route entries for the team's prefixes: `{ path, route: "<ns>/<vsr>" }`. */
    readonly delegations: { path: string; route: string }[];
    readonly roles: k8s.rbac.v1.Role[] = [];
    readonly roleBindings: k8s.rbac.v1.RoleBinding[] = [];
    readonly quotas: k8s.core.v1.ResourceQuota[] = [];
    readonly limitRanges: k8s.core.v1.LimitRange[] = [];

    constructor(name: string, args: TeamTenancyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:teams:TeamTenancy", name, {}, opts);
        assertKubernetesName("TeamTenancy team", args.team);
        if (args.namespaces.length === 0) throw new Error(`TeamTenancy ${args.team}: at least one namespace`);
        const own = new Set(args.namespaces.map((namespace) => namespace.name));
        for (const prefix of args.prefixes) {
            if (!own.has(prefix.namespace)) throw new Error(`TeamTenancy ${args.team}: prefix ${prefix.path} is delegated to ${prefix.namespace}, which is not the team's`);
            assertKubernetesName(`TeamTenancy ${args.team}: route for ${prefix.path}`, prefix.route);
        }
        const labels = { ...PLATFORM_LABELS, "platform.amlmesh.io/team": args.team };
        const roleName = childName("team", args.team);

        for (const namespace of args.namespaces) {
            const ns = namespace.name;
            const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: namespace.ready };
            this.quotas.push(
                new k8s.core.v1.ResourceQuota(
                    `${name}-${ns}-quota`,
                    {
                        metadata: { name: roleName, namespace: ns, labels },
                        spec: {
                            hard: {
                                "requests.cpu": args.quota.requestsCpu,
                                "requests.memory": args.quota.requestsMemory,
                                "limits.cpu": args.quota.limitsCpu,
                                "limits.memory": args.quota.limitsMemory,
                                pods: String(args.quota.pods),
                            },
                        },
                    },
                    childOpts,
                ),
            );
            const defaults = { cpu: args.containerDefaults.cpu, memory: args.containerDefaults.memory };
            this.limitRanges.push(
                new k8s.core.v1.LimitRange(
                    `${name}-${ns}-limits`,
                    { metadata: { name: roleName, namespace: ns, labels }, spec: { limits: [{ type: "Container", default: defaults, defaultRequest: defaults }] } },
                    childOpts,
                ),
            );
            const role = new k8s.rbac.v1.Role(
                `${name}-${ns}-role`,
                { metadata: { name: roleName, namespace: ns, labels }, rules: TEAM_ROLE_RULES.map((rule) => ({ ...rule })) },
                childOpts,
            );
            this.roles.push(role);
            this.roleBindings.push(
                new k8s.rbac.v1.RoleBinding(
                    `${name}-${ns}-binding`,
                    {
                        metadata: { name: roleName, namespace: ns, labels },
                        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName },
                        // AKS presents an Entra group to Kubernetes RBAC by its object ID.
                        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: args.groupObjectId }],
                    },
                    { ...childOpts, dependsOn: [...namespace.ready, role, ...args.guardrails] },
                ),
            );
        }

        this.team = args.team;
        this.namespaces = args.namespaces.map((namespace) => namespace.name);
        this.delegations = args.prefixes.map((prefix) => ({ path: prefix.path, route: `${prefix.namespace}/${prefix.route}` }));
        this.registerOutputs({ team: this.team, namespaces: this.namespaces, delegations: this.delegations });
    }
}
