/**
 * The edge objects a stack declares, read from its evaluated resources (the offline plan's
 * captured VirtualServers, VirtualServerRoutes, Policies and the ingress controller's Helm
 * values), in the subset of the k8s.nginx.org/v1 schema this project uses. Anything outside
 * that subset is refused with the field's path: the renderer must never skip a field silently,
 * or a test would pass on a configuration the controller renders differently.
 */
import type { CapturedResource } from "../document";
import { isObject, isWireUnknown, unwrapWire } from "../wire";

export interface Metadata {
    name: string;
    namespace: string;
}

export interface PolicyRef {
    name: string;
    namespace?: string;
}

export interface HeaderSet {
    name: string;
    value: string;
}

export interface RouteAction {
    pass?: string;
    proxy?: { upstream: string; requestHeaders?: { pass?: boolean; set?: HeaderSet[] } };
}

export interface Upstream {
    name: string;
    service: string;
    port: number;
    "use-cluster-ip"?: boolean;
    keepalive?: number;
    tls?: { enable: boolean };
}

export interface VirtualServer {
    metadata: Metadata;
    spec: {
        host: string;
        ingressClassName?: string;
        tls?: { secret?: string; redirect?: { enable?: boolean; code?: number; basedOn?: string } };
        routes: { path: string; route: string }[];
    };
}

export interface VirtualServerRoute {
    metadata: Metadata;
    spec: {
        host: string;
        ingressClassName?: string;
        upstreams: Upstream[];
        subroutes: { path: string; policies?: PolicyRef[]; action: RouteAction }[];
    };
}

export interface ExternalAuthSpec {
    authServiceName: string;
    authServicePorts?: number[];
    authURI: string;
}

export interface RateLimitSpec {
    key: string;
    rate: string;
    burst?: number;
    noDelay?: boolean;
    delay?: number;
    zoneSize: string;
    rejectCode?: number;
    logLevel?: string;
    dryRun?: boolean;
    /** Divide the rate by the controller's replicas (the controller's `scaleRatelimit`). */
    scale?: boolean;
}

export interface Policy {
    metadata: Metadata;
    spec: { ingressClassName?: string; externalAuth?: ExternalAuthSpec; rateLimit?: RateLimitSpec };
}

/** The controller settings that reach the rendered configuration. */
export interface ControllerSettings {
    /** `controller.config.entries`: the controller's ConfigMap. */
    entries: Record<string, string>;
    /** `controller.replicaCount` (rate limits with `scale` are divided by it). */
    replicas: number;
    ingressClassName: string;
}

export interface EdgeObjects {
    virtualServers: VirtualServer[];
    virtualServerRoutes: VirtualServerRoute[];
    policies: Policy[];
    controller: ControllerSettings;
}

const TYPES = {
    virtualServer: "kubernetes:k8s.nginx.org/v1:VirtualServer",
    virtualServerRoute: "kubernetes:k8s.nginx.org/v1:VirtualServerRoute",
    policy: "kubernetes:k8s.nginx.org/v1:Policy",
    helmRelease: "kubernetes:helm.sh/v3:Release",
} as const;

/** The nginx-ingress chart, as components/versions.ts pins it (matched by name, not version). */
const INGRESS_CHART = /\/nginx-ingress$/;

export class EdgeObjectError extends Error {}

/** Reads the edge objects out of a stack's captured resources. */
export function edgeObjectsFrom(resources: readonly CapturedResource[]): EdgeObjects {
    const plain = (resource: CapturedResource): Record<string, unknown> => {
        const unknownAt = findUnknown(resource.inputs, "");
        if (unknownAt !== undefined) throw new EdgeObjectError(`${resource.urn}: input ${unknownAt} is unknown until deploy; the edge cannot be rendered from it`);
        return unwrapWire(resource.inputs) as Record<string, unknown>;
    };
    const ofType = (type: string): Record<string, unknown>[] => resources.filter((resource) => resource.type === type).map(plain);

    // Objects first, so a field the renderer does not know is named before anything else fails.
    const virtualServers = ofType(TYPES.virtualServer).map((raw) => checked<VirtualServer>(raw, VIRTUAL_SERVER_FIELDS));
    const virtualServerRoutes = ofType(TYPES.virtualServerRoute).map((raw) => checked<VirtualServerRoute>(raw, VIRTUAL_SERVER_ROUTE_FIELDS));
    const policies = ofType(TYPES.policy).map((raw) => checked<Policy>(raw, POLICY_FIELDS));
    const releases = resources.filter((resource) => resource.type === TYPES.helmRelease && INGRESS_CHART.test(String(unwrapWire(resource.inputs["chart"]))));
    if (releases.length !== 1) throw new EdgeObjectError(`expected one nginx-ingress Helm release, found ${releases.length}`);
    const values = unwrapWire((releases[0] as CapturedResource).inputs["values"]);
    const controller = isObject(values) && isObject(values["controller"]) ? values["controller"] : {};
    const config = isObject(controller["config"]) ? controller["config"] : {};
    const entries = isObject(config["entries"]) ? config["entries"] : {};
    for (const [key, value] of Object.entries(entries)) {
        if (typeof value !== "string") throw new EdgeObjectError(`controller.config.entries.${key} must be a string (ConfigMap data), got ${JSON.stringify(value)}`);
    }
    const ingressClass = isObject(controller["ingressClass"]) ? controller["ingressClass"] : {};

    const objects: EdgeObjects = {
        virtualServers,
        virtualServerRoutes,
        policies,
        controller: {
            entries: entries as Record<string, string>,
            replicas: typeof controller["replicaCount"] === "number" ? controller["replicaCount"] : 1,
            ingressClassName: typeof ingressClass["name"] === "string" ? ingressClass["name"] : "nginx",
        },
    };
    if (objects.virtualServers.length === 0) throw new EdgeObjectError("the stack declares no VirtualServer");
    return objects;
}

function findUnknown(value: unknown, path: string): string | undefined {
    if (isWireUnknown(value)) return path || "(root)";
    if (Array.isArray(value)) {
        for (const [index, inner] of value.entries()) {
            const found = findUnknown(inner, `${path}[${index}]`);
            if (found !== undefined) return found;
        }
    } else if (isObject(value)) {
        for (const [key, inner] of Object.entries(value)) {
            const found = findUnknown(inner, path === "" ? key : `${path}.${key}`);
            if (found !== undefined) return found;
        }
    }
    return undefined;
}

/**
 * The fields the renderer understands, as a tree: `true` = a leaf it renders (or deliberately
 * ignores, such as labels), an object = a nested object, `[tree]` = an array of such objects.
 */
type FieldTree = { readonly [key: string]: true | FieldTree | readonly [FieldTree] };

const METADATA: FieldTree = { name: true, namespace: true, labels: true, annotations: true };
const HEADER: FieldTree = { name: true, value: true };
const VIRTUAL_SERVER_FIELDS: FieldTree = {
    apiVersion: true,
    kind: true,
    metadata: METADATA,
    spec: {
        host: true,
        ingressClassName: true,
        tls: { secret: true, redirect: { enable: true, code: true, basedOn: true } },
        routes: [{ path: true, route: true }],
    },
};
const VIRTUAL_SERVER_ROUTE_FIELDS: FieldTree = {
    apiVersion: true,
    kind: true,
    metadata: METADATA,
    spec: {
        host: true,
        ingressClassName: true,
        upstreams: [{ name: true, service: true, port: true, "use-cluster-ip": true, keepalive: true, tls: { enable: true } }],
        subroutes: [
            {
                path: true,
                policies: [{ name: true, namespace: true }],
                action: { pass: true, proxy: { upstream: true, requestHeaders: { pass: true, set: [HEADER] } } },
            },
        ],
    },
};
const POLICY_FIELDS: FieldTree = {
    apiVersion: true,
    kind: true,
    metadata: METADATA,
    spec: {
        ingressClassName: true,
        externalAuth: { authServiceName: true, authServicePorts: true, authURI: true },
        rateLimit: { key: true, rate: true, burst: true, noDelay: true, delay: true, zoneSize: true, rejectCode: true, logLevel: true, dryRun: true, scale: true },
    },
};

function checked<T>(raw: Record<string, unknown>, tree: FieldTree): T {
    const where = `${String(raw["kind"])} ${isObject(raw["metadata"]) ? `${String(raw["metadata"]["namespace"])}/${String(raw["metadata"]["name"])}` : "?"}`;
    const walk = (value: unknown, node: FieldTree, path: string): void => {
        if (!isObject(value)) throw new EdgeObjectError(`${where}: ${path || "the object"} must be an object`);
        for (const [key, inner] of Object.entries(value)) {
            const rule = node[key];
            const at = path === "" ? key : `${path}.${key}`;
            if (rule === undefined) throw new EdgeObjectError(`${where}: field ${at} is not rendered by offline/edge-render; teach the renderer what the controller does with it`);
            if (rule === true || inner === undefined) continue;
            if (Array.isArray(rule)) {
                if (!Array.isArray(inner)) throw new EdgeObjectError(`${where}: ${at} must be an array`);
                inner.forEach((item, index) => walk(item, rule[0] as FieldTree, `${at}[${index}]`));
            } else {
                walk(inner, rule as FieldTree, at);
            }
        }
    };
    walk(raw, tree, "");
    return raw as T;
}
