/**
 * The Kubernetes namespace Azure ML deploys models into. It must exist before the cluster is
 * attached as Kubernetes compute.
 *
 * TEMPORARY: a plain namespace. The mesh wiring replaces this function with a meshed namespace
 * (Linkerd injection, default-deny inbound); callers only rely on `{ name, resource }`.
 */
import { Namespace } from "@pulumi/kubernetes/core/v1";
import type { Provider } from "@pulumi/kubernetes/provider";
import type * as pulumi from "@pulumi/pulumi";

export interface MlNamespace {
    name: string;
    resource: pulumi.Resource;
}

export function createPlainMlNamespace(name: string, provider: Provider, labels: Record<string, string>): MlNamespace {
    const namespace = new Namespace(`ml-namespace-${name}`, { metadata: { name, labels } }, { provider });
    return { name, resource: namespace };
}
