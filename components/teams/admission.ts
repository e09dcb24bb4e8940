/**
 * The runtime half of the team guardrails: ValidatingAdmissionPolicies (built into the API
 * server, `admissionregistration.k8s.io/v1`, GA since Kubernetes 1.30) that hold in team
 * namespaces whether or not a team runs our policy pack.
 *
 * The F5 NGINX controller validates nothing at admission, and a VirtualServerRoute subroute that
 * lists any policy drops every policy of the VirtualServer route delegating to it. So the edge
 * cannot protect a team's prefix from above; the team's own objects must be right:
 *
 * - a team Policy is either an externalAuth to the platform authorizer or an enforcing rateLimit,
 *   and its name says which (`*-authz`, `*-rate-limit`, as ProtectedRoute names them), so a
 *   VirtualServerRoute can be checked without looking other objects up;
 * - a team VirtualServerRoute is one the edge delegates a prefix to, its subroutes stay under that
 *   prefix, and every subroute lists an `*-authz` and a `*-rate-limit` Policy of its own namespace,
 *   is on the edge host and class, and sends only to Services of its namespace;
 * - team Linkerd Servers and AuthorizationPolicies admit mesh identities only (no permissive
 *   accessPolicy, no NetworkAuthentication, no policy without required authentication);
 * - team Services are ClusterIP (no LoadBalancer/NodePort around the edge, no ExternalName into
 *   another namespace), and team pods never opt out of the mesh or loosen its default policy;
 * - a team namespace keeps its team label, the injection label and annotation, and a
 *   non-permissive default inbound policy.
 *
 * The expressions use only CEL that every supported Kubernetes has (macros `has`/`all`/`exists`,
 * string `startsWith`/`endsWith`/`contains`, `in`, `size`): nothing from the quantity, optional
 * or two-variable libraries.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LINKERD_ANNOTATIONS, MESH_INBOUND_POLICIES, PLATFORM_LABELS } from "@amlmesh/team-sdk/kit/mesh/types";

/** Label on every team namespace; its value is the team's name. The bindings select by it. */
export const TEAM_NAMESPACE_LABEL = "platform.amlmesh.io/team";
/** Suffixes that say what a team's NGINX Policy is (ProtectedRoute's names end this way). */
export const AUTH_POLICY_SUFFIX = "-authz";
export const RATE_LIMIT_POLICY_SUFFIX = "-rate-limit";

/** One ValidatingAdmissionPolicy as data: what the component declares and the tests evaluate. */
export interface AdmissionRule {
    name: string;
    /** What it applies to: `apiGroups`/`apiVersions`/`resources`/`operations`. */
    resourceRules: { apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[] }[];
    /** Only team namespaces (namespaced objects); false for rules on Namespace objects. */
    teamNamespacesOnly: boolean;
    matchConditions?: { name: string; expression: string }[];
    validations: { expression: string; message: string }[];
}

export interface TeamAdmissionArgs {
    /** The edge authorizer Service every team externalAuth must name. */
    authorizer: { namespace: string; name: string; port: number };
    /** The host team prefixes are delegated on. */
    edgeHost: string;
    ingressClassName: string;
    /** Labels that make the proxy injector admit a namespace (the mesh's). */
    injectionLabels: Readonly<Record<string, string>>;
    /** Every team prefix the edge delegates: to VirtualServerRoute `<namespace>/<route>`. */
    delegations: { namespace: string; route: string; path: string }[];
}

const quote = (text: string): string => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
const list = (items: readonly string[]): string => `[${items.map(quote).join(", ")}]`;
const WRITE = ["CREATE", "UPDATE"];

/** The admission rules for the given edge and mesh, as the API server will evaluate them. */
export function teamAdmissionRules(args: TeamAdmissionArgs): AdmissionRule[] {
    const authService = quote(`${args.authorizer.namespace}/${args.authorizer.name}`);
    const team = quote(TEAM_NAMESPACE_LABEL);
    const inject = quote(LINKERD_ANNOTATIONS.inject);
    const inbound = quote(LINKERD_ANNOTATIONS.defaultInboundPolicy);
    // `<namespace>/<route>` → prefix, as a CEL map literal: only delegated routes, under their prefix.
    const delegated = `{${args.delegations.map((d) => `${quote(`${d.namespace}/${d.route}`)}: ${quote(d.path)}`).join(", ")}}`;
    const routeKey = "(request.namespace + '/' + object.metadata.name)";
    const annotation = (object: string, key: string) => `(has(${object}.metadata.annotations) && ${key} in ${object}.metadata.annotations)`;
    return [
        {
            name: "amlmesh-team-nginx-policies",
            resourceRules: [{ apiGroups: ["k8s.nginx.org"], apiVersions: ["v1"], resources: ["policies"], operations: WRITE }],
            teamNamespacesOnly: true,
            validations: [
                {
                    expression: "object.spec.all(key, key in ['ingressClassName', 'externalAuth', 'rateLimit']) && (has(object.spec.externalAuth) != has(object.spec.rateLimit))",
                    message: "a team Policy is exactly one externalAuth (to the platform authorizer) or one rateLimit",
                },
                {
                    expression:
                        `!has(object.spec.externalAuth) || (object.spec.externalAuth.authServiceName == ${authService} && object.spec.externalAuth.authURI.startsWith('/authorize?')` +
                        ` && (!has(object.spec.externalAuth.authServicePorts) || object.spec.externalAuth.authServicePorts.all(port, port == ${args.authorizer.port})))`,
                    message: `externalAuth must name the platform authorizer ${args.authorizer.namespace}/${args.authorizer.name}:${args.authorizer.port} and its /authorize endpoint`,
                },
                {
                    expression: `!object.metadata.name.endsWith(${quote(AUTH_POLICY_SUFFIX)}) || has(object.spec.externalAuth)`,
                    message: `a Policy named *${AUTH_POLICY_SUFFIX} must be the externalAuth Policy`,
                },
                {
                    expression:
                        `(!object.metadata.name.endsWith(${quote(RATE_LIMIT_POLICY_SUFFIX)}) || has(object.spec.rateLimit))` +
                        " && (!has(object.spec.rateLimit) || !has(object.spec.rateLimit.dryRun) || !object.spec.rateLimit.dryRun)",
                    message: `a Policy named *${RATE_LIMIT_POLICY_SUFFIX} must be an enforcing rateLimit (no dryRun)`,
                },
            ],
        },
        {
            name: "amlmesh-team-virtualserverroutes",
            resourceRules: [{ apiGroups: ["k8s.nginx.org"], apiVersions: ["v1"], resources: ["virtualserverroutes"], operations: WRITE }],
            teamNamespacesOnly: true,
            validations: [
                {
                    expression: `object.spec.host == ${quote(args.edgeHost)} && has(object.spec.ingressClassName) && object.spec.ingressClassName == ${quote(args.ingressClassName)}`,
                    message: `a team route is served on ${args.edgeHost} by ingress class ${args.ingressClassName}`,
                },
                {
                    expression: `${routeKey} in ${delegated}`,
                    message: "the edge delegates no prefix to a VirtualServerRoute of this name in this namespace (see the platform outputs' teams[].prefixes)",
                },
                {
                    expression: `!(${routeKey} in ${delegated}) || !has(object.spec.subroutes) || object.spec.subroutes.all(subroute, subroute.path.startsWith(${delegated}[${routeKey}]))`,
                    message: "every subroute path starts with the prefix the edge delegates to this route",
                },
                {
                    expression: "!has(object.spec.upstreams) || object.spec.upstreams.all(upstream, !upstream.service.contains('/'))",
                    message: "upstreams name Services of the route's own namespace (no <namespace>/<service>)",
                },
                {
                    expression: "has(object.spec.subroutes) && size(object.spec.subroutes) > 0 && object.spec.subroutes.all(subroute, has(subroute.policies))",
                    message: "every subroute lists its policies (without them the route is not published safely)",
                },
                {
                    expression: "object.spec.subroutes.all(subroute, subroute.policies.all(policy, !has(policy.namespace) || policy.namespace == request.namespace))",
                    message: "subroute policies are Policies of the route's own namespace",
                },
                {
                    expression:
                        `object.spec.subroutes.all(subroute, subroute.policies.exists(policy, policy.name.endsWith(${quote(AUTH_POLICY_SUFFIX)}))` +
                        ` && subroute.policies.exists(policy, policy.name.endsWith(${quote(RATE_LIMIT_POLICY_SUFFIX)})))`,
                    message: `every subroute lists an externalAuth Policy (*${AUTH_POLICY_SUFFIX}) and a rateLimit Policy (*${RATE_LIMIT_POLICY_SUFFIX}): its own policies replace the platform's`,
                },
            ],
        },
        {
            name: "amlmesh-team-linkerd",
            resourceRules: [{ apiGroups: ["policy.linkerd.io"], apiVersions: ["*"], resources: ["servers", "authorizationpolicies"], operations: WRITE }],
            teamNamespacesOnly: true,
            validations: [
                {
                    expression: `object.kind != 'Server' || !has(object.spec.accessPolicy) || object.spec.accessPolicy in ${list(MESH_INBOUND_POLICIES)}`,
                    message: `a team Server's accessPolicy may only be ${MESH_INBOUND_POLICIES.join(" or ")}`,
                },
                {
                    expression:
                        "object.kind != 'AuthorizationPolicy' || (has(object.spec.requiredAuthenticationRefs) && size(object.spec.requiredAuthenticationRefs) > 0" +
                        " && object.spec.requiredAuthenticationRefs.all(ref, ref.kind != 'NetworkAuthentication'))",
                    message: "a team AuthorizationPolicy requires a mesh identity (MeshTLSAuthentication or ServiceAccount), never a NetworkAuthentication or nothing",
                },
            ],
        },
        {
            name: "amlmesh-team-services",
            resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["services"], operations: WRITE }],
            teamNamespacesOnly: true,
            validations: [
                {
                    expression: "!has(object.spec.type) || object.spec.type == 'ClusterIP'",
                    message: "team Services are ClusterIP: traffic from outside comes through the edge, and ExternalName would reach into other namespaces",
                },
            ],
        },
        {
            name: "amlmesh-team-pods",
            resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: WRITE }],
            teamNamespacesOnly: true,
            validations: [
                {
                    expression: `!${annotation("object", inject)} || object.metadata.annotations[${inject}] == 'enabled'`,
                    message: `team pods stay in the mesh (${LINKERD_ANNOTATIONS.inject} may only be enabled)`,
                },
                {
                    expression: `!${annotation("object", inbound)} || object.metadata.annotations[${inbound}] in ${list(MESH_INBOUND_POLICIES)}`,
                    message: `a pod's default inbound policy may only be ${MESH_INBOUND_POLICIES.join(" or ")}`,
                },
            ],
        },
        {
            name: "amlmesh-team-namespaces",
            resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["namespaces"], operations: ["UPDATE"] }],
            teamNamespacesOnly: false,
            // Judged by the old object, so removing the team label does not take a namespace out of scope.
            matchConditions: [{ name: "was-team-namespace", expression: `has(oldObject.metadata.labels) && ${team} in oldObject.metadata.labels` }],
            validations: [
                {
                    expression: `has(object.metadata.labels) && ${team} in object.metadata.labels && object.metadata.labels[${team}] == oldObject.metadata.labels[${team}]`,
                    message: `a team namespace keeps its ${TEAM_NAMESPACE_LABEL} label`,
                },
                ...Object.entries(args.injectionLabels).map(([key, value]) => ({
                    expression: `has(object.metadata.labels) && ${quote(key)} in object.metadata.labels && object.metadata.labels[${quote(key)}] == ${quote(value)}`,
                    message: `a team namespace keeps the mesh injection label ${key}=${value}`,
                })),
                {
                    expression: `${annotation("object", inject)} && object.metadata.annotations[${inject}] == 'enabled'`,
                    message: `a team namespace stays meshed (${LINKERD_ANNOTATIONS.inject}: enabled)`,
                },
                {
                    expression: `${annotation("object", inbound)} && object.metadata.annotations[${inbound}] in ${list(MESH_INBOUND_POLICIES)}`,
                    message: `a team namespace's default inbound policy stays ${MESH_INBOUND_POLICIES.join(" or ")}`,
                },
            ],
        },
    ];
}

export class TeamAdmission extends pulumi.ComponentResource {
    readonly rules: AdmissionRule[];
    readonly policies: k8s.admissionregistration.v1.ValidatingAdmissionPolicy[];
    readonly bindings: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding[];

    constructor(name: string, args: TeamAdmissionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:teams:TeamAdmission", name, {}, opts);
        this.rules = teamAdmissionRules(args);
        const labels = { ...PLATFORM_LABELS, "app.kubernetes.io/component": "team-guardrails" };
        this.policies = [];
        this.bindings = [];
        for (const rule of this.rules) {
            const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
                rule.name,
                {
                    metadata: { name: rule.name, labels },
                    spec: {
                        // An expression that cannot be evaluated refuses the request.
                        failurePolicy: "Fail",
                        matchConstraints: { resourceRules: rule.resourceRules.map((resourceRule) => ({ ...resourceRule })) },
                        ...(rule.matchConditions ? { matchConditions: rule.matchConditions.map((condition) => ({ ...condition })) } : {}),
                        validations: rule.validations.map((validation) => ({ ...validation, reason: "Forbidden" })),
                    },
                },
                { parent: this },
            );
            this.policies.push(policy);
            this.bindings.push(
                new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                    rule.name,
                    {
                        metadata: { name: rule.name, labels },
                        spec: {
                            policyName: rule.name,
                            validationActions: ["Deny"],
                            ...(rule.teamNamespacesOnly
                                ? { matchResources: { namespaceSelector: { matchExpressions: [{ key: TEAM_NAMESPACE_LABEL, operator: "Exists" }] } } }
                                : {}),
                        },
                    },
                    { parent: this, dependsOn: [policy] },
                ),
            );
        }
        this.registerOutputs({ policies: this.rules.map((rule) => rule.name) });
    }
}
