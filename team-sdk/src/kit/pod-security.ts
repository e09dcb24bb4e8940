/**
 * The hardened pod and container settings every workload the platform (or a team through the SDK)
 * deploys runs with: Kubernetes' "restricted" Pod Security Standard plus a read-only root and a
 * fixed numeric non-root user, so the policy pack's workload rules hold by construction.
 */
import type * as k8s from "@pulumi/kubernetes";

export const RESTRICTED_POD_SECURITY: k8s.types.input.core.v1.PodSecurityContext = {
    runAsNonRoot: true,
    runAsUser: 10001,
    runAsGroup: 10001,
    seccompProfile: { type: "RuntimeDefault" },
};

export const RESTRICTED_CONTAINER_SECURITY: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};
