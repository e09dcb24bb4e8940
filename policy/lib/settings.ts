/**
 * Policy configuration: the settings a rule reads through `args.getConfig()`, their JSON schemas
 * (which the Pulumi CLI validates `--policy-pack-config` against and fills defaults from), and
 * readers that apply the same defaults when a policy runs without any config.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function isEnvironment(value: unknown): value is Environment {
    return typeof value === "string" && (ENVIRONMENTS as readonly string[]).includes(value);
}

/** Schema of the `environment` setting shared by every environment-dependent rule. */
export const environmentSchema: PolicyConfigSchema = {
    properties: {
        environment: {
            type: "string",
            enum: [...ENVIRONMENTS],
            description: "Environment of the stack under check. When unset, the stack name (dev/staging/prod) decides; otherwise prod, the strictest.",
        },
    },
};

/** The stack name inside a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackNameOf(urn: string): string | undefined {
    const match = /^urn:pulumi:([^:]+)::/.exec(urn);
    return match?.[1];
}

/**
 * The environment a rule applies: the configured one, else the stack name when it names an
 * environment, else prod (a missing setting must never relax a rule).
 */
export function environmentOf(config: object, urn: string): Environment {
    const configured = (config as { environment?: unknown }).environment;
    if (isEnvironment(configured)) return configured;
    const stack = stackNameOf(urn);
    return isEnvironment(stack) ? stack : "prod";
}

/** Reads a string-array setting, falling back to its schema default. */
export function stringListSetting(config: object, key: string, fallback: readonly string[]): readonly string[] {
    const value = (config as Record<string, unknown>)[key];
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
    return fallback;
}

/** Namespaces that host platform components which cannot (or must not) be meshed. */
export const DEFAULT_MESH_EXEMPT_NAMESPACES = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "linkerd",
    "linkerd-viz",
    "gatekeeper-system",
] as const;

export const meshExemptionSchema: PolicyConfigSchema = {
    properties: {
        exemptNamespaces: {
            type: "array",
            items: { type: "string" },
            default: [...DEFAULT_MESH_EXEMPT_NAMESPACES],
            description: "Namespaces that need not be meshed (system and mesh control-plane namespaces).",
        },
    },
};

/**
 * Registries images may come from. An entry matches the image reference as a prefix at a path
 * boundary (`mcr.microsoft.com` matches `mcr.microsoft.com/azureml/x`); a leading `*.` matches
 * any subdomain (`*.azurecr.io` matches the platform's own registries).
 */
export const DEFAULT_ALLOWED_REGISTRIES = ["*.azurecr.io", "mcr.microsoft.com", "ghcr.io/nginx", "cr.l5d.io/linkerd"] as const;

export const registrySchema: PolicyConfigSchema = {
    properties: {
        allowedRegistries: {
            type: "array",
            items: { type: "string" },
            default: [...DEFAULT_ALLOWED_REGISTRIES],
            description: "Image registry prefixes workloads may pull from ('*.azurecr.io' matches any subdomain).",
        },
    },
};

/** Helm charts that deploy the edge ingress controller, the one component allowed a public load balancer. */
export const DEFAULT_INGRESS_CONTROLLER_CHARTS = ["nginx-ingress"] as const;

export const loadBalancerSchema: PolicyConfigSchema = {
    properties: {
        ingressControllerCharts: {
            type: "array",
            items: { type: "string" },
            default: [...DEFAULT_INGRESS_CONTROLLER_CHARTS],
            description: "Chart names (last path segment) of the ingress controller, whose Service may be a LoadBalancer.",
        },
        allowedLoadBalancerServices: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Kubernetes Services (`namespace/name`) declared in the stack that may be LoadBalancers.",
        },
    },
};
