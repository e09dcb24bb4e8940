/**
 * The pod settings the edge's own Node services share (the authorizer and the Azure ML token
 * swap run from one image): non-root with a fixed numeric user, no privilege escalation, no
 * capabilities, read-only root, seccomp, probes on /healthz and /readyz, and outside dev a
 * spread over nodes (hard) and zones (soft).
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { LINKERD_ANNOTATIONS } from "@amlmesh/team-sdk/kit/mesh/types";
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from "@amlmesh/team-sdk/kit/pod-security";

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

export interface NodeServiceDeploymentArgs {
    /** Deployment, ServiceAccount and container name prefix (the ServiceAccount has the same name). */
    name: string;
    /** Container name. */
    container: string;
    replicas: number;
    /** Pod selector labels. */
    selector: Record<string, string>;
    /** Pod labels (the selector's and any others, e.g. the workload identity label). */
    podLabels: Record<string, pulumi.Input<string>>;
    image: pulumi.Input<string>;
    /** Overrides the image's entry point (the swap runs another file of the same image). */
    command?: string[];
    port: number;
    /** More named container ports than `http` (say, a metrics port). */
    extraPorts?: { name: string; containerPort: number }[];
    env: k8s.types.input.core.v1.EnvVar[];
    resources?: k8s.types.input.core.v1.ResourceRequirements;
    volumeMounts: k8s.types.input.core.v1.VolumeMount[];
    volumes: k8s.types.input.core.v1.Volume[];
    highAvailability: boolean;
}

/**
 * The Deployment spec of an edge Node service: meshed, no API token, restricted security, probes,
 * rolling one pod at a time (none unavailable with a single replica), spread when highly available.
 */
export function nodeServiceDeploymentSpec(args: NodeServiceDeploymentArgs): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        replicas: args.replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: args.selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: args.replicas > 1 ? 1 : 0 } },
        template: {
            metadata: { labels: args.podLabels, annotations: { [LINKERD_ANNOTATIONS.inject]: "enabled" } },
            spec: {
                serviceAccountName: args.name,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: RESTRICTED_POD_SECURITY,
                terminationGracePeriodSeconds: 30,
                containers: [
                    {
                        name: args.container,
                        image: args.image,
                        imagePullPolicy: "IfNotPresent",
                        ...(args.command ? { command: args.command } : {}),
                        ports: [{ name: "http", containerPort: args.port, protocol: "TCP" }, ...(args.extraPorts ?? []).map((port) => ({ ...port, protocol: "TCP" }))],
                        env: args.env,
                        resources: args.resources ?? { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
                        securityContext: RESTRICTED_CONTAINER_SECURITY,
                        ...NODE_SERVICE_PROBES,
                        volumeMounts: args.volumeMounts,
                    },
                ],
                volumes: args.volumes,
                ...spreadOverNodesAndZones(args.selector, args.highAvailability),
            },
        },
    };
}
