/**
 * Shapes and names shared by the mesh and edge components: how a component refers to a
 * namespace, to a mesh identity, to the control plane it needs, and the Linkerd annotation keys.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The Linkerd annotations the platform sets (on namespaces and pod templates). */
export const LINKERD_ANNOTATIONS = {
    inject: "linkerd.io/inject",
    defaultInboundPolicy: "config.linkerd.io/default-inbound-policy",
    accessLog: "config.linkerd.io/access-log",
    skipInboundPorts: "config.linkerd.io/skip-inbound-ports",
} as const;

/**
 * The default inbound policies a meshed namespace may have. Only the two that require a mesh
 * identity are representable: `all-unauthenticated`, `cluster-unauthenticated`,
 * `cluster-authenticated` (no multi-cluster here, so no narrower than all-authenticated) and
 * `audit` (allows everything) cannot be written in code that type-checks.
 */
export type MeshInboundPolicy = "deny" | "all-authenticated";
export const MESH_INBOUND_POLICIES: readonly MeshInboundPolicy[] = ["deny", "all-authenticated"];

/** Labels every object the platform creates on the cluster carries. */
export const PLATFORM_LABELS = { "app.kubernetes.io/part-of": "amlmesh", "app.kubernetes.io/managed-by": "pulumi" } as const;

/** A namespace other objects go into, and what must exist before they can. */
export interface NamespaceHandle {
    /** The namespace name (known at plan time: it is part of identities and references). */
    readonly name: string;
    /** Resources to wait for before creating objects in the namespace (the namespace itself). */
    readonly ready: pulumi.Resource[];
}

/** A mesh identity: the ServiceAccount meshed pods run as (Linkerd derives the mTLS identity from it). */
export interface ServiceAccountRef {
    readonly namespace: string;
    readonly name: string;
}

/** What meshed namespaces and workloads need from the installed Linkerd control plane. */
export interface MeshControlPlane {
    /** Resources that must be in place before meshed pods are created (the control plane release). */
    readonly ready: pulumi.Resource[];
    /** Labels a namespace needs so the proxy injector's namespace selector admits it. */
    readonly injectionLabels: Readonly<Record<string, string>>;
    /** Source networks of kubelet probes (the policy controller's `probeNetworks`). */
    readonly probeNetworks: readonly string[];
    /** The identity trust domain (`cluster.local` unless changed). */
    readonly trustDomain: string;
}

/** RFC 1123 label check for names that end up in Kubernetes object names. */
export function assertKubernetesName(what: string, value: string): void {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) {
        throw new Error(`${what}: "${value}" is not a Kubernetes name (lower-case letters, digits and '-', at most 63 characters)`);
    }
}

/** A workload's replica count: a positive integer, and at least two when it must stay available. */
export function assertReplicas(what: string, replicas: number, highAvailability: boolean): void {
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`${what}: replicas must be a positive integer`);
    if (highAvailability && replicas < 2) throw new Error(`${what}: high availability needs at least 2 replicas, got ${replicas}`);
}

/** Kubernetes object names are at most 63 characters; long derived names keep a readable prefix. */
export function childName(...parts: string[]): string {
    const joined = parts.filter((part) => part !== "").join("-");
    if (joined.length <= 63) return joined;
    let hash = 0;
    for (const char of joined) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    const suffix = hash.toString(36).padStart(7, "0").slice(0, 7);
    return `${joined.slice(0, 55).replace(/-+$/, "")}-${suffix}`;
}
