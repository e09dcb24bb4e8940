/**
 * A namespace whose pods join the mesh: the proxy is injected (`linkerd.io/inject: enabled`),
 * inbound traffic needs a mesh identity or an explicit authorization (default inbound policy
 * `deny` or `all-authenticated`, never a permissive one), optionally with JSON access logs
 * from every proxy.
 *
 * The namespace waits for the Linkerd control plane, so nothing is scheduled into it before the
 * injector can add the proxy. A namespace created by someone else (for example by a cluster
 * extension) is adopted with a server-side apply patch that only adds the mesh settings.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    assertKubernetesName,
    LINKERD_ANNOTATIONS,
    MESH_INBOUND_POLICIES,
    PLATFORM_LABELS,
    type MeshControlPlane,
    type MeshInboundPolicy,
    type NamespaceHandle,
} from "@amlmesh/team-sdk/kit/mesh/types";

export interface MeshedNamespaceArgs {
    /** The namespace name. */
    name: string;
    /** Policy for inbound connections no Server/AuthorizationPolicy covers. */
    defaultInboundPolicy: MeshInboundPolicy;
    /** JSON access logs from every proxy in the namespace (costs CPU). */
    accessLogs?: boolean;
    /** The installed control plane (Linkerd). */
    mesh: MeshControlPlane;
    /** Extra labels. */
    labels?: Record<string, string>;
    /**
     * The namespace is created by something else (say, a cluster extension): only patch the mesh
     * annotations and labels onto it. Pass that creator in `after`.
     */
    adopt?: boolean;
    /** Resources to wait for besides the control plane (for `adopt`: whatever creates the namespace). */
    after?: pulumi.Resource[];
}

export class MeshedNamespace extends pulumi.ComponentResource implements NamespaceHandle {
    readonly name: string;
    readonly ready: pulumi.Resource[];
    readonly defaultInboundPolicy: MeshInboundPolicy;
    readonly resource: k8s.core.v1.Namespace | k8s.core.v1.NamespacePatch;

    constructor(name: string, args: MeshedNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:mesh:MeshedNamespace", name, {}, opts);
        assertKubernetesName("MeshedNamespace name", args.name);
        // The type already excludes permissive policies; this guards callers that bypass it.
        if (!MESH_INBOUND_POLICIES.includes(args.defaultInboundPolicy)) {
            throw new Error(
                `MeshedNamespace ${args.name}: default inbound policy "${String(args.defaultInboundPolicy)}" is not allowed; use ${MESH_INBOUND_POLICIES.join(" or ")}`,
            );
        }
        const metadata = {
            name: args.name,
            labels: { ...args.labels, ...PLATFORM_LABELS, ...args.mesh.injectionLabels },
            annotations: meshNamespaceAnnotations(args.defaultInboundPolicy, args.accessLogs ?? false),
        };
        const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: [...args.mesh.ready, ...(args.after ?? [])] };
        this.resource = args.adopt
            ? new k8s.core.v1.NamespacePatch(`${name}-mesh`, { metadata }, childOpts)
            : new k8s.core.v1.Namespace(name, { metadata }, childOpts);
        this.name = args.name;
        this.defaultInboundPolicy = args.defaultInboundPolicy;
        this.ready = [this.resource];
        this.registerOutputs({ name: this.name, defaultInboundPolicy: this.defaultInboundPolicy });
    }
}

/** The annotations that mesh a namespace. */
function meshNamespaceAnnotations(policy: MeshInboundPolicy, accessLogs: boolean): Record<string, string> {
    return {
        [LINKERD_ANNOTATIONS.inject]: "enabled",
        [LINKERD_ANNOTATIONS.defaultInboundPolicy]: policy,
        ...(accessLogs ? { [LINKERD_ANNOTATIONS.accessLog]: "json" } : {}),
    };
}
