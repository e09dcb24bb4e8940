/**
 * The ServiceAccount of an in-cluster caller: its Linkerd identity inside the mesh and, through
 * the `azure.workload.identity/client-id` annotation, its Entra identity outside (the AKS
 * workload identity webhook projects a token that the managed identity's federated credential
 * accepts). Pods that use it still opt in with the label `azure.workload.identity/use: "true"`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { workloadIdentityAnnotations } from "../azure/workload-identity-labels";
import { assertKubernetesName, PLATFORM_LABELS, type NamespaceHandle, type ServiceAccountRef } from "./types";

export interface WorkloadServiceAccountArgs {
    namespace: NamespaceHandle;
    /** ServiceAccount name (the subject of the federated credential). */
    name: string;
    /** Client ID of the user-assigned managed identity the account federates with. */
    clientId: pulumi.Input<string>;
    /** Entra tenant of that identity. */
    tenantId: pulumi.Input<string>;
}

export class WorkloadServiceAccount extends pulumi.ComponentResource {
    readonly account: ServiceAccountRef;
    readonly serviceAccount: k8s.core.v1.ServiceAccount;

    constructor(name: string, args: WorkloadServiceAccountArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:mesh:WorkloadServiceAccount", name, {}, opts);
        assertKubernetesName("WorkloadServiceAccount name", args.name);
        this.serviceAccount = new k8s.core.v1.ServiceAccount(
            name,
            {
                metadata: {
                    name: args.name,
                    namespace: args.namespace.name,
                    labels: { ...PLATFORM_LABELS },
                    annotations: workloadIdentityAnnotations(args.clientId, args.tenantId),
                },
            },
            { parent: this, dependsOn: [...args.namespace.ready] },
        );
        this.account = { namespace: args.namespace.name, name: args.name };
        this.registerOutputs({ namespace: args.namespace.name, name: args.name });
    }
}
