/** Mesh components: the Linkerd PKI and control plane, meshed namespaces, mesh authorization. */
export { MeshAuthorization, type HttpPathMatch, type MeshAuthorizationArgs, type MeshHttpRestriction, type MeshProxyProtocol } from "./authorization";
export { controlPlaneValues, Linkerd, MESH_INJECTION_LABEL, type LinkerdArgs, type LinkerdResources } from "./linkerd";
export { MeshedNamespace, meshNamespaceAnnotations, type MeshedNamespaceArgs } from "./meshed-namespace";
export { MeshPki, type MeshPkiArgs, type TrustAnchorSlot } from "./pki";
export {
    LINKERD_ANNOTATIONS,
    MESH_INBOUND_POLICIES,
    meshIdentityName,
    PLATFORM_LABELS,
    type MeshControlPlane,
    type MeshInboundPolicy,
    type NamespaceHandle,
    type ServiceAccountRef,
} from "./types";
export { WorkloadServiceAccount, type WorkloadServiceAccountArgs } from "./workload-service-account";
