/**
 * Stand-ins for what cluster components receive from elsewhere (a Kubernetes provider, a
 * namespace handle, an installed control plane), small queries over planned Kubernetes
 * objects, and the namespaces a stack must mesh.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { AZUREML_EXTENSION_NAMESPACE } from "../../components/azure/ml-kubernetes-compute";
import { MESH_INJECTION_LABEL } from "../../components/mesh/linkerd";
import type { MeshControlPlane, NamespaceHandle } from "@amlmesh/team-sdk/kit/mesh/types";
import { CLUSTER_NAMES } from "../../infra/cluster-services";
import type { StackConfig } from "../../infra/config";
import type { PlannedStack, TestResource } from "../harness";

/** An explicit provider, as the Azure side builds from the cluster's kubeconfig. */
export function testProvider(): k8s.Provider {
    return new k8s.Provider("aks", { kubeconfig: "offline", enableServerSideApply: true });
}

export function namespaceHandle(name: string, ready: pulumi.Resource[] = []): NamespaceHandle {
    return { name, ready };
}

export function fakeControlPlane(ready: pulumi.Resource[] = []): MeshControlPlane {
    return { ready, injectionLabels: { [MESH_INJECTION_LABEL.key]: MESH_INJECTION_LABEL.value }, probeNetworks: ["10.30.0.0/19"], trustDomain: "cluster.local" };
}

/** Custom resources of one kind, by `kind` input (e.g. "Server", "VirtualServer"). */
export function customResources(stack: PlannedStack, apiVersion: string, kind: string): TestResource[] {
    return stack.ofType(`kubernetes:${apiVersion}:${kind}`);
}

/** The `metadata.name` of a Kubernetes resource. */
export function objectName(resource: TestResource): string {
    return String(resource.input("metadata.name"));
}

export function objectNamespace(resource: TestResource): string {
    return String(resource.input("metadata.namespace"));
}

/**
 * The namespaces the platform puts workloads in for a stack, so must mesh: the ingress
 * controller's, the authorizer's, the ML namespace, the ML extension's, every route backend's
 * and every in-cluster caller's. A new set on each call.
 */
export function namespacesToMesh(config: StackConfig): Set<string> {
    return new Set<string>([
        CLUSTER_NAMES.ingressNamespace,
        CLUSTER_NAMES.authorizerNamespace,
        config.ml.kubernetesNamespace,
        AZUREML_EXTENSION_NAMESPACE,
        ...config.routes.map((route) => route.backend.namespace),
        ...config.access.callers.flatMap((caller) => (caller.kind === "workload" ? [caller.namespace] : [])),
    ]);
}
