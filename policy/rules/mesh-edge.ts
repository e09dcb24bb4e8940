/**
 * Mesh and edge: workloads run in meshed namespaces with a default-deny inbound policy, every
 * Linkerd Server has an AuthorizationPolicy, every public route has TLS, external auth (Entra
 * token check) and a rate limit, snippets stay off, and the retired community chart is refused.
 */
import type { PolicyResource } from "@pulumi/policy";
import { resourcePolicy, stackPolicy, type AmlmeshPolicy } from "../lib/define";
import { describeRoute, EdgeGraph, hasExternalAuth, hasRateLimit, type EdgeRoute } from "../lib/edge-routes";
import { annotationOf, chartNameOf, forEachContainer, metadataOf, parseImage, podTemplateOf, specOf } from "../lib/kube";
import {
    coveredServers,
    INBOUND_POLICY_ANNOTATION,
    INJECT_ANNOTATION,
    isNonPermissiveInboundPolicy,
    metricsAccessProblems,
    namespaceTenants,
    NON_PERMISSIVE_INBOUND_POLICIES,
} from "../lib/mesh";
import { displayName, nameOf } from "../lib/object-index";
import { RESOURCE_TYPES, WORKLOAD_TYPES, type PropsByType } from "../lib/resource-types";
import { DEFAULT_INGRESS_CONTROLLER_CHARTS, DEFAULT_MESH_EXEMPT_NAMESPACES, meshExemptionSchema, stringListSetting } from "../lib/settings";
import { known, knownArray, knownRecord, knownString, UNKNOWN, visitLeaves } from "../lib/values";

const meshedNamespaces = stackPolicy({
    name: "mesh-namespace-default-deny",
    description:
        "Every namespace that runs workloads is meshed (linkerd.io/inject: enabled) with a non-permissive default inbound policy " +
        `(${NON_PERMISSIVE_INBOUND_POLICIES.join(", ")}); pods do not opt out.`,
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        `Declare the namespace in the program with annotations '${INJECT_ANNOTATION}: enabled' and ` +
        `'${INBOUND_POLICY_ANNOTATION}: deny', then authorize callers with Server + AuthorizationPolicy. Do not set ` +
        "'linkerd.io/inject: disabled' or a permissive inbound policy on pod templates. System namespaces go in exemptNamespaces.",
    controls: { soc2: ["CC6.1", "CC6.6", "CC6.7"], hipaa: ["164.312(a)(1)", "164.312(d)", "164.312(e)(1)"] },
    configSchema: meshExemptionSchema,
    validate: (stack, args, reportViolation) => {
        const exempt = new Set(stringListSetting(args.getConfig(), "exemptNamespaces", DEFAULT_MESH_EXEMPT_NAMESPACES));
        const namespaces = stack.ofType(RESOURCE_TYPES.namespace);
        const namespacesByName = new Map<string, PolicyResource>();
        for (const namespace of namespaces) {
            const name = nameOf(namespace);
            if (typeof name === "string") namespacesByName.set(name, namespace);
        }
        const hosted = new Map<PolicyResource, string[]>();
        const host = (namespace: PolicyResource, tenant: PolicyResource) => {
            const name = nameOf(namespace);
            if (typeof name === "string" && exempt.has(name)) return;
            const tenants = hosted.get(namespace);
            if (tenants) tenants.push(tenant.name);
            else hosted.set(namespace, [tenant.name]);
        };
        let tenantsChecked = 0;
        for (const tenant of namespaceTenants(stack)) {
            if (typeof tenant.namespace === "string") {
                if (exempt.has(tenant.namespace)) continue;
                tenantsChecked++;
                const declared = namespacesByName.get(tenant.namespace);
                if (declared) host(declared, tenant.resource);
                else {
                    reportViolation(
                        `'${tenant.resource.name}' runs in namespace '${tenant.namespace}', which this stack does not declare, so its mesh settings cannot be verified.`,
                        tenant.resource.urn,
                    );
                }
            } else {
                tenantsChecked++;
                const namespaces = stack.dependenciesOf(tenant.resource, tenant.property).filter((dependency) => dependency.type === RESOURCE_TYPES.namespace);
                for (const namespace of namespaces) host(namespace, tenant.resource);
                if (namespaces.length === 0) {
                    reportViolation(
                        `'${tenant.resource.name}' runs in a namespace unknown during preview and not computed from a Namespace in this stack, so its mesh settings cannot be verified.`,
                        tenant.resource.urn,
                    );
                }
            }
            checkPodOptOut(tenant.resource, reportViolation);
        }
        if (tenantsChecked === 0) return args.notApplicable("No workloads outside exempt namespaces.");
        for (const [namespace, tenants] of hosted) {
            const metadata = metadataOf(namespace);
            const name = nameOf(namespace);
            const label = `Namespace '${typeof name === "string" ? name : namespace.name}' (hosts ${tenants.join(", ")})`;
            const inject = annotationOf(metadata, INJECT_ANNOTATION);
            if (inject !== UNKNOWN && inject !== "enabled") {
                reportViolation(`${label} is not meshed: ${INJECT_ANNOTATION} is ${inject === undefined ? "missing" : `'${inject}'`}.`, namespace.urn);
            }
            const policy = annotationOf(metadata, INBOUND_POLICY_ANNOTATION);
            if (policy === undefined) reportViolation(`${label} has no ${INBOUND_POLICY_ANNOTATION} annotation (the cluster default is permissive).`, namespace.urn);
            else if (policy !== UNKNOWN && !isNonPermissiveInboundPolicy(policy)) {
                reportViolation(`${label} has the permissive default inbound policy '${policy}'.`, namespace.urn);
            }
        }
    },
});

/** Pod templates must not opt out of the namespace's mesh settings. */
function checkPodOptOut(resource: PolicyResource, reportViolation: (message: string, urn?: string) => void): void {
    if (!(WORKLOAD_TYPES as readonly string[]).includes(resource.type)) return;
    const template = known(() => podTemplateOf(resource.type, resource.props));
    if (template === UNKNOWN || !template) return;
    const inject = annotationOf(template.metadata, INJECT_ANNOTATION);
    if (inject === "disabled") reportViolation(`'${resource.name}' opts its pods out of the mesh (${INJECT_ANNOTATION}: disabled).`, resource.urn);
    const policy = annotationOf(template.metadata, INBOUND_POLICY_ANNOTATION);
    if (typeof policy === "string" && !isNonPermissiveInboundPolicy(policy)) {
        reportViolation(`'${resource.name}' overrides the default inbound policy of its pods with the permissive '${policy}'.`, resource.urn);
    }
}

const serversAuthorized = stackPolicy({
    name: "mesh-server-authorized",
    description:
        "Every Linkerd Server is covered by an AuthorizationPolicy with required authentications (targeting the Server, an HTTPRoute attached to it, or its namespace).",
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add an AuthorizationPolicy (policy.linkerd.io/v1alpha1) whose targetRef is the Server (or an HTTPRoute whose parentRefs " +
        "name it) and whose requiredAuthenticationRefs name a MeshTLSAuthentication listing the allowed ServiceAccounts.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)", "164.312(d)"] },
    validate: (stack, args, reportViolation) => {
        const { servers, covered } = coveredServers(stack);
        if (servers.length === 0) return args.notApplicable("No Linkerd Servers in this stack.");
        for (const server of servers) {
            if (!covered.has(server)) reportViolation(`Server ${displayName(server)} has no AuthorizationPolicy: with default-deny, nothing may reach it; with a permissive default, anything may.`, server.urn);
        }
    },
});

const metricsAccess = stackPolicy({
    name: "mesh-metrics-single-scraper",
    description:
        "Metrics stay behind one identity: a route whose only path is /metrics admits exactly one mesh identity (no network, namespace or wildcard), " +
        "and the Linkerd proxy admin port (linkerd-admin, 4191, which also serves the proxy's environment at /env.json) is never authorized port-wide, only on /metrics and the proxy's probe paths.",
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set amlmesh:monitoring.scraper to the scraper's namespace and ServiceAccount and let the program declare the metrics routes; by hand, follow " +
        "`linkerd viz allow-scrapes`: a Server on linkerd-admin, an HTTPRoute for Exact /metrics authorized by one MeshTLSAuthentication identity, and an HTTPRoute for /live and /ready for kubelet.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)"] },
    validate: (stack, args, reportViolation) => {
        const { servers } = coveredServers(stack);
        if (servers.length === 0) return args.notApplicable("No Linkerd Servers in this stack.");
        for (const problem of metricsAccessProblems(stack)) reportViolation(problem.message, problem.urn);
    },
});

const edgeTls = resourcePolicy({
    name: "edge-tls-required",
    description: "Every VirtualServer and Ingress terminates TLS (a certificate Secret for each host).",
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set spec.tls.secret on the VirtualServer (with spec.tls.redirect.enable: true), or spec.tls[] with secretName and the " +
        "rule hosts on the Ingress; source the certificate from Key Vault through the Secrets Store CSI driver.",
    controls: { soc2: ["CC6.7"], hipaa: ["164.312(e)(1)", "164.312(e)(2)(ii)"] },
    resourceTypes: [RESOURCE_TYPES.virtualServer, RESOURCE_TYPES.ingress],
    validate: (props, args, reportViolation) => {
        if (args.type === RESOURCE_TYPES.virtualServer) {
            const tls = knownRecord((props as PropsByType[typeof RESOURCE_TYPES.virtualServer]).spec, "tls");
            const secret = tls === UNKNOWN ? UNKNOWN : knownString(tls, "secret");
            if (secret === undefined || secret === "") reportViolation("spec.tls.secret is not set: the route is served over plain HTTP.");
            return;
        }
        const spec = (props as PropsByType[typeof RESOURCE_TYPES.ingress]).spec;
        const tls = knownArray(spec, "tls");
        if (tls === UNKNOWN) return;
        if (tls.length === 0) {
            reportViolation("spec.tls is empty: the Ingress is served over plain HTTP.");
            return;
        }
        if (tls.some((entry) => knownString(entry, "secretName") === undefined)) reportViolation("A spec.tls entry has no secretName.");
        const hostLists = tls.map((entry) => knownArray(entry, "hosts"));
        // While any TLS host is unknown, host coverage cannot be judged.
        if (hostLists.some((hosts) => hosts === UNKNOWN)) return;
        const tlsHosts = new Set(hostLists.flat());
        const rules = knownArray(spec, "rules");
        for (const rule of rules === UNKNOWN ? [] : rules) {
            const host = knownString(rule, "host");
            if (typeof host === "string" && !tlsHosts.has(host)) reportViolation(`Host ${host} has no TLS entry.`);
        }
    },
});

function reportRouteGaps(
    routes: EdgeRoute[],
    satisfies: (policy: PolicyResource) => boolean,
    what: string,
    reportViolation: (message: string, urn?: string) => void,
): void {
    for (const route of routes) {
        // A team's route is judged on the team's stack and at admission (policy/lib/tenancy.ts).
        if (route.teamDelegation !== undefined) continue;
        if (route.policies.some(satisfies)) continue;
        const unresolved = route.unresolved.length > 0 ? ` (references not declared in this stack: ${route.unresolved.join(", ")})` : "";
        reportViolation(`${describeRoute(route)} has no ${what}${unresolved}.`, route.owner.urn);
    }
}

const edgeExternalAuth = stackPolicy({
    name: "edge-external-auth-required",
    description: "Every VirtualServer route and Ingress is protected by an NGINX externalAuth Policy, so the edge authorizer checks the Entra token first.",
    category: "mesh-edge",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Declare a k8s.nginx.org/v1 Policy with spec.externalAuth (authServiceName: the edge authorizer, authURI) and list it " +
        "in the VirtualServer's spec.policies (or each route's policies); on an Ingress name it in the nginx.org/policies annotation.",
    controls: { soc2: ["CC6.1", "CC6.6"], hipaa: ["164.312(d)", "164.312(a)(1)"] },
    validate: (stack, args, reportViolation) => {
        const graph = new EdgeGraph(stack);
        const routes = [...graph.virtualServers().flatMap((vs) => graph.virtualServerRoutes(vs)), ...graph.ingresses().map((ingress) => graph.ingressRoute(ingress))];
        if (routes.length === 0) return args.notApplicable("No VirtualServers or Ingresses in this stack.");
        reportRouteGaps(routes, hasExternalAuth, "externalAuth Policy", reportViolation);
    },
});

const edgeExternalAuthUriUnique = stackPolicy({
    name: "edge-external-auth-uri-unique",
    description:
        "No two routes of a VirtualServer (with its VirtualServerRoutes) use externalAuth Policies with the same authURI: the F5 controller keeps only the first auth location and silently checks the later routes against the first route's Policy.",
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Give every route's externalAuth Policy its own authURI, e.g. /authorize?route=<namespace>/<name>&roles=... " +
        "(the platform's ProtectedRoute does this); the auth service may ignore the extra query parameter.",
    controls: { soc2: ["CC6.1", "CC6.3"], hipaa: ["164.312(a)(1)"] },
    validate: (stack, args, reportViolation) => {
        const graph = new EdgeGraph(stack);
        const virtualServers = graph.virtualServers();
        if (virtualServers.length === 0) return args.notApplicable("No VirtualServers in this stack.");
        for (const virtualServer of virtualServers) {
            // authURI → the Policy that owns it (per VirtualServer, as the controller generates per VirtualServer).
            const owners = new Map<string, PolicyResource>();
            for (const route of graph.virtualServerRoutes(virtualServer)) {
                for (const policy of route.policies.filter(hasExternalAuth)) {
                    const uri = knownString(knownRecord(specOf(policy), "externalAuth"), "authURI");
                    if (typeof uri !== "string") continue;
                    const first = owners.get(uri);
                    if (first === undefined) owners.set(uri, policy);
                    else if (first.urn !== policy.urn) {
                        reportViolation(`${describeRoute(route)}: Policy ${displayName(policy)} repeats authURI ${uri} of Policy ${displayName(first)} on VirtualServer ${displayName(virtualServer)}; the controller would check this route with ${displayName(first)}.`, policy.urn);
                    }
                }
            }
        }
    },
});

const edgeRateLimit = stackPolicy({
    name: "edge-rate-limit-required",
    description: "Every VirtualServer route has a rateLimit Policy and every Ingress an nginx.org/limit-req-rate annotation.",
    category: "mesh-edge",
    severity: "medium",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Declare a k8s.nginx.org/v1 Policy with spec.rateLimit (rate, key; not dryRun) and reference it from the VirtualServer or " +
        "route; on an Ingress set nginx.org/limit-req-rate (and limit-req-burst).",
    controls: { soc2: ["CC6.6", "A1.1"], hipaa: [] },
    validate: (stack, args, reportViolation) => {
        const graph = new EdgeGraph(stack);
        const virtualServers = graph.virtualServers();
        const ingresses = graph.ingresses();
        if (virtualServers.length === 0 && ingresses.length === 0) return args.notApplicable("No VirtualServers or Ingresses in this stack.");
        reportRouteGaps(virtualServers.flatMap((vs) => graph.virtualServerRoutes(vs)), hasRateLimit, "rateLimit Policy", reportViolation);
        for (const ingress of ingresses) {
            const rate = annotationOf(metadataOf(ingress), "nginx.org/limit-req-rate");
            if (rate === undefined || rate === "") reportViolation(`Ingress ${displayName(ingress)} has no nginx.org/limit-req-rate annotation.`, ingress.urn);
        }
    },
});

const SNIPPET_ANNOTATIONS = [
    "nginx.org/server-snippets",
    "nginx.org/location-snippets",
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
];

const edgeSnippets = resourcePolicy({
    name: "edge-snippets-disabled",
    description: "The NGINX ingress controller runs with snippets disabled, and no Ingress, VirtualServer or Policy carries raw NGINX configuration.",
    category: "mesh-edge",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Keep controller.enableSnippets: false in the nginx-ingress chart values and express behaviour with Policy resources " +
        "and supported annotations instead of *-snippets.",
    controls: { soc2: ["CC6.8", "CC8.1"], hipaa: ["164.312(c)(1)"] },
    resourceTypes: [RESOURCE_TYPES.helmRelease, RESOURCE_TYPES.ingress, RESOURCE_TYPES.virtualServer, RESOURCE_TYPES.virtualServerRoute, RESOURCE_TYPES.nginxPolicy],
    validate: (props, args, reportViolation) => {
        switch (args.type) {
            case RESOURCE_TYPES.helmRelease: {
                const release = props as PropsByType[typeof RESOURCE_TYPES.helmRelease];
                if (!(DEFAULT_INGRESS_CONTROLLER_CHARTS as readonly string[]).includes(chartNameOf(release.chart))) return args.notApplicable("Not the NGINX ingress controller chart.");
                const controller = knownRecord(release.values, "controller");
                const enabled = controller === UNKNOWN ? UNKNOWN : known(() => controller?.enableSnippets);
                if (enabled === true || enabled === "true") reportViolation("values.controller.enableSnippets is true.");
                return;
            }
            case RESOURCE_TYPES.ingress: {
                const metadata = (props as PropsByType[typeof RESOURCE_TYPES.ingress]).metadata;
                for (const key of SNIPPET_ANNOTATIONS) if (typeof annotationOf(metadata, key) === "string") reportViolation(`Annotation ${key} injects raw NGINX configuration.`);
                return;
            }
            case RESOURCE_TYPES.nginxPolicy: {
                const externalAuth = knownRecord((props as PropsByType[typeof RESOURCE_TYPES.nginxPolicy]).spec, "externalAuth");
                if (externalAuth && externalAuth !== UNKNOWN && knownString(externalAuth, "authSnippets") !== undefined) {
                    reportViolation("spec.externalAuth.authSnippets injects raw NGINX configuration.");
                }
                return;
            }
            default: {
                visitLeaves((props as Record<string, unknown>).spec, (path) => {
                    const key = path[path.length - 1] ?? "";
                    if (key.endsWith("-snippets")) reportViolation(`spec.${path.join(".")} injects raw NGINX configuration.`);
                });
            }
        }
    },
});

const RETIRED_CHART_REPOSITORY = "kubernetes.github.io/ingress-nginx";
const RETIRED_IMAGE_PREFIXES = ["registry.k8s.io/ingress-nginx/", "k8s.gcr.io/ingress-nginx/"];

const noRetiredIngressNginx = resourcePolicy({
    name: "edge-no-retired-ingress-nginx",
    description: "The community kubernetes/ingress-nginx controller (end of maintenance March 2026, no security fixes) is not deployed.",
    category: "mesh-edge",
    severity: "critical",
    enforcementLevel: "mandatory",
    remediationSteps: "Deploy the F5 NGINX Ingress Controller (chart oci://ghcr.io/nginx/charts/nginx-ingress) instead of the ingress-nginx chart.",
    controls: { soc2: ["CC6.8", "CC7.1"], hipaa: ["164.312(c)(1)"] },
    resourceTypes: [RESOURCE_TYPES.helmRelease, ...WORKLOAD_TYPES],
    validate: (props, args, reportViolation) => {
        if (args.type === RESOURCE_TYPES.helmRelease) {
            const release = props as PropsByType[typeof RESOURCE_TYPES.helmRelease];
            const repository = release.repositoryOpts?.repo ?? "";
            if (chartNameOf(release.chart) === "ingress-nginx" || `${release.chart} ${repository}`.includes(RETIRED_CHART_REPOSITORY)) {
                reportViolation(`Chart '${release.chart}'${repository ? ` from ${repository}` : ""} is the retired community ingress-nginx.`);
            }
            return;
        }
        forEachContainer(args.type, props, ({ container }) => {
            const image = known(() => container.image);
            if (typeof image !== "string") return;
            const repository = parseImage(image).repository;
            if (RETIRED_IMAGE_PREFIXES.some((prefix) => repository.startsWith(prefix))) reportViolation(`Image ${image} is the retired community ingress-nginx controller.`);
        });
    },
});

export const meshEdgePolicies: AmlmeshPolicy[] = [meshedNamespaces, serversAuthorized, metricsAccess, edgeTls, edgeExternalAuth, edgeExternalAuthUriUnique, edgeRateLimit, edgeSnippets, noRetiredIngressNginx];
