/**
 * The Kubernetes side of AKS workload identity: the ServiceAccount annotations and the pod label
 * that federate a workload with a managed identity. The Azure side (the identity and its federated
 * credential) is the platform's `WorkloadIdentity`; this part is shared with team stacks.
 */
import type * as pulumi from "@pulumi/pulumi";

/**
 * Audience of the Kubernetes token exchanged for an Entra token: Entra's token-exchange
 * audience, the same for every federated credential (`ENTRA_FEDERATION_AUDIENCE` is this one).
 */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";
/** ServiceAccount annotation naming the identity's client ID. */
export const CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";
/** ServiceAccount annotation naming the identity's Entra tenant. */
export const TENANT_ID_ANNOTATION = "azure.workload.identity/tenant-id";
/** Pod label that makes the workload identity webhook inject the token and environment. */
export const USE_LABEL = "azure.workload.identity/use";

/** Annotations a ServiceAccount federated with the identity `clientId` (in `tenantId`) must carry. */
export function workloadIdentityAnnotations(clientId: pulumi.Input<string>, tenantId: pulumi.Input<string>): Record<string, pulumi.Input<string>> {
    return { [CLIENT_ID_ANNOTATION]: clientId, [TENANT_ID_ANNOTATION]: tenantId };
}
