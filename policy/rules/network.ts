/**
 * Network: data-plane services are not reachable from the internet (by environment), the AKS
 * API server is private or fenced, pod traffic is subject to network policy, and only the edge
 * ingress controller is exposed through a load balancer.
 */
import { resourcePolicy, type AmlmeshPolicy } from "../lib/define";
import { chartNameOf, namespaceOfObject } from "../lib/kube";
import { RESOURCE_TYPES, type PropsByType } from "../lib/resource-types";
import { environmentOf, environmentSchema, loadBalancerSchema, stringListSetting, DEFAULT_INGRESS_CONTROLLER_CHARTS } from "../lib/settings";
import { sameText, UNKNOWN, visitLeaves } from "../lib/values";

/** Values that keep a resource off the public internet. */
function publicAccessDisabled(value: unknown): boolean {
    return sameText(value, "Disabled") || sameText(value, "SecuredByPerimeter");
}

interface Exposure {
    publicNetworkAccess: unknown;
    /** Firewall default action, for services that have one. */
    defaultAction?: unknown;
    hasFirewall: boolean;
}

type ExposedType =
    | typeof RESOURCE_TYPES.keyVault
    | typeof RESOURCE_TYPES.storageAccount
    | typeof RESOURCE_TYPES.containerRegistry
    | typeof RESOURCE_TYPES.mlWorkspace;

function exposureOf(type: string, props: PropsByType[ExposedType]): Exposure {
    switch (type) {
        case RESOURCE_TYPES.keyVault: {
            const vault = (props as PropsByType[typeof RESOURCE_TYPES.keyVault]).properties;
            return { publicNetworkAccess: vault.publicNetworkAccess, defaultAction: vault.networkAcls?.defaultAction, hasFirewall: true };
        }
        case RESOURCE_TYPES.storageAccount: {
            const account = props as PropsByType[typeof RESOURCE_TYPES.storageAccount];
            return { publicNetworkAccess: account.publicNetworkAccess, defaultAction: account.networkRuleSet?.defaultAction, hasFirewall: true };
        }
        case RESOURCE_TYPES.containerRegistry: {
            const registry = props as PropsByType[typeof RESOURCE_TYPES.containerRegistry];
            return { publicNetworkAccess: registry.publicNetworkAccess, defaultAction: registry.networkRuleSet?.defaultAction, hasFirewall: true };
        }
        default:
            // The ML workspace has no firewall of its own in this API version.
            return { publicNetworkAccess: (props as PropsByType[typeof RESOURCE_TYPES.mlWorkspace]).publicNetworkAccess, hasFirewall: false };
    }
}

const noPublicNetworkAccess = resourcePolicy({
    name: "azure-no-public-network-access",
    description:
        "Key Vault, storage, container registry and ML workspace are not publicly reachable: staging and prod disable public network access; " +
        "dev allows it only behind a default-deny firewall (the dev ML workspace stays reachable from the studio).",
    category: "network",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set publicNetworkAccess: 'Disabled' (Key Vault: properties.publicNetworkAccess) and reach the service through its " +
        "private endpoint. In dev, public access is acceptable only with the firewall default action 'Deny' plus explicit IP rules.",
    controls: { soc2: ["CC6.1", "CC6.6"], hipaa: ["164.312(a)(1)", "164.312(e)(1)"] },
    configSchema: environmentSchema,
    resourceTypes: [RESOURCE_TYPES.keyVault, RESOURCE_TYPES.storageAccount, RESOURCE_TYPES.containerRegistry, RESOURCE_TYPES.mlWorkspace],
    validate: (props, args, reportViolation) => {
        const environment = environmentOf(args.getConfig(), args.urn);
        const exposure = exposureOf(args.type, props);
        if (publicAccessDisabled(exposure.publicNetworkAccess)) return;
        const setting = exposure.publicNetworkAccess === undefined ? "not set (Azure defaults to Enabled)" : `'${String(exposure.publicNetworkAccess)}'`;
        if (environment !== "dev") {
            reportViolation(`Public network access is ${setting}; ${environment} requires 'Disabled' with private endpoints.`);
        } else if (exposure.hasFirewall && !sameText(exposure.defaultAction, "Deny")) {
            reportViolation(`Public network access is ${setting} without a default-deny firewall (defaultAction: ${String(exposure.defaultAction ?? "not set")}).`);
        }
    },
});

const aksApiServerRestricted = resourcePolicy({
    name: "aks-api-server-restricted",
    description: "The AKS API server is private, or public only to an explicit list of authorized IP ranges.",
    category: "network",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set apiServerAccessProfile.enablePrivateCluster: true, or list the operator/CI egress ranges in " +
        "apiServerAccessProfile.authorizedIPRanges (never 0.0.0.0/0).",
    controls: { soc2: ["CC6.1", "CC6.6"], hipaa: ["164.312(a)(1)"] },
    resourceTypes: [RESOURCE_TYPES.managedCluster],
    validate: (cluster, _args, reportViolation) => {
        const access = cluster.apiServerAccessProfile;
        if (access?.enablePrivateCluster === true) return;
        const ranges = access?.authorizedIPRanges ?? [];
        const open = ranges.filter((range) => /^(0\.0\.0\.0|::)\/0$/.test(range.trim()));
        if (ranges.length === 0) reportViolation("The API server is public to the whole internet: not private and no authorizedIPRanges.");
        else if (open.length > 0) reportViolation(`authorizedIPRanges contains ${open.join(", ")}, which admits every address.`);
    },
});

const aksNetworkPolicy = resourcePolicy({
    name: "aks-network-policy-enabled",
    description: "AKS clusters run a network policy engine (Azure, Calico or Cilium) so namespaces can be isolated.",
    category: "network",
    severity: "medium",
    enforcementLevel: "mandatory",
    remediationSteps: "Set networkProfile.networkPolicy to 'cilium' (with networkDataplane 'cilium'), 'calico' or 'azure'.",
    controls: { soc2: ["CC6.6"], hipaa: ["164.312(a)(1)", "164.312(e)(1)"] },
    resourceTypes: [RESOURCE_TYPES.managedCluster],
    validate: (cluster, _args, reportViolation) => {
        const engine = cluster.networkProfile?.networkPolicy;
        if (!["azure", "calico", "cilium"].some((allowed) => sameText(engine, allowed))) {
            reportViolation(`networkProfile.networkPolicy is ${engine === undefined ? "not set" : `'${engine}'`}.`);
        }
    },
});

const onlyIngressLoadBalancer = resourcePolicy({
    name: "k8s-only-ingress-load-balancer",
    description: "Only the edge ingress controller's Service may be a LoadBalancer; everything else stays ClusterIP behind the edge.",
    category: "network",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Use type ClusterIP and publish the workload through a VirtualServer route on the NGINX edge. For the Azure ML " +
        "extension set inferenceRouterServiceType: 'clusterIP'. List a deliberate exception in allowedLoadBalancerServices.",
    controls: { soc2: ["CC6.6"], hipaa: ["164.312(e)(1)", "164.312(a)(1)"] },
    configSchema: loadBalancerSchema,
    resourceTypes: [RESOURCE_TYPES.service, RESOURCE_TYPES.helmRelease, RESOURCE_TYPES.clusterExtension],
    validate: (props, args, reportViolation) => {
        const config = args.getConfig();
        switch (args.type) {
            case RESOURCE_TYPES.clusterExtension: {
                const settings = (props as PropsByType[typeof RESOURCE_TYPES.clusterExtension]).configurationSettings;
                if (sameText(settings?.inferenceRouterServiceType, "loadBalancer")) {
                    reportViolation("The cluster extension exposes its inference router as a LoadBalancer (inferenceRouterServiceType).");
                }
                return;
            }
            case RESOURCE_TYPES.helmRelease: {
                const release = props as PropsByType[typeof RESOURCE_TYPES.helmRelease];
                const controllerCharts = stringListSetting(config, "ingressControllerCharts", DEFAULT_INGRESS_CONTROLLER_CHARTS);
                if (controllerCharts.includes(chartNameOf(release.chart))) return;
                const paths: string[] = [];
                visitLeaves(release.values, (path, value) => {
                    const key = path[path.length - 1] ?? "";
                    const isServiceType = (key === "type" && (path[path.length - 2] ?? "").toLowerCase().endsWith("service")) || key === "serviceType";
                    if (isServiceType && sameText(value, "LoadBalancer")) paths.push(path.join("."));
                });
                if (paths.length > 0) reportViolation(`Chart '${release.chart}' requests a LoadBalancer Service (values ${paths.join(", ")}).`);
                return;
            }
            default: {
                const service = props as PropsByType[typeof RESOURCE_TYPES.service];
                if (!sameText(service.spec?.type, "LoadBalancer")) return;
                const allowed = stringListSetting(config, "allowedLoadBalancerServices", []);
                // An unknown namespace (preview) shows as `?` and so matches no allowlist entry.
                const namespace = namespaceOfObject(service.metadata);
                const id = `${namespace === UNKNOWN ? "?" : namespace}/${service.metadata?.name ?? args.name}`;
                if (!allowed.includes(id)) reportViolation(`Service ${id} is of type LoadBalancer.`);
            }
        }
    },
});

export const networkPolicies: AmlmeshPolicy[] = [noPublicNetworkAccess, aksApiServerRestricted, aksNetworkPolicy, onlyIngressLoadBalancer];
