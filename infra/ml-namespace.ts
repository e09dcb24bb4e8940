/**
 * The Kubernetes namespace Azure ML deploys models into. It must exist before the cluster is
 * attached as Kubernetes compute.
 *
 * TEMPORARY: a plain `Namespace` carrying the mesh annotations (injection on, default-deny
 * inbound), so nothing runs there unmeshed or reachable by default. The mesh wiring replaces
 * this function with a meshed namespace (and the authorization that lets the inference router
 * in); callers only rely on `{ name, resource }`.
 */
import { Namespace } from "@pulumi/kubernetes/core/v1";
import type { Provider } from "@pulumi/kubernetes/provider";
import type * as pulumi from "@pulumi/pulumi";

export interface MlNamespace {
    name: string;
    resource: pulumi.Resource;
}

export interface PlainMlNamespaceArgs {
    provider: Provider;
    labels: Record<string, string>;
    /** Linkerd default inbound policy of the namespace (`deny` or `all-authenticated`). */
    defaultInboundPolicy: string;
}

export function createPlainMlNamespace(name: string, args: PlainMlNamespaceArgs): MlNamespace {
    const namespace = new Namespace(
        `ml-namespace-${name}`,
        {
            metadata: {
                name,
                labels: args.labels,
                annotations: { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": args.defaultInboundPolicy },
            },
        },
        { provider: args.provider },
    );
    return { name, resource: namespace };
}
