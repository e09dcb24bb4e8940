/**
 * The pod settings the edge's own Node services share (the authorizer and the Azure ML token
 * swap run from one image): non-root with a fixed numeric user, no privilege escalation, no
 * capabilities, read-only root, seccomp, probes on /healthz and /readyz, and outside dev a
 * spread over nodes (hard) and zones (soft).
 */
import type * as k8s from "@pulumi/kubernetes";

/** The edge's Node services run with the platform's restricted pod and container settings. */
export { RESTRICTED_CONTAINER_SECURITY as NODE_SERVICE_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY as NODE_SERVICE_POD_SECURITY } from "../pod-security";

/** Liveness on /healthz, readiness on /readyz, both on the container port named `http`. */
export const NODE_SERVICE_PROBES: Pick<k8s.types.input.core.v1.Container, "livenessProbe" | "readinessProbe"> = {
    livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
};

/** Topology spread for highly available replicas; nothing when `enabled` is false. */
export function spreadOverNodesAndZones(selector: Record<string, string>, enabled: boolean): Partial<k8s.types.input.core.v1.PodSpec> {
    if (!enabled) return {};
    return {
        topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: selector } },
            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
        ],
    };
}
