/** Kubernetes helpers shared by the workload, mesh and edge rules. */
import type { PolicyResource } from "@pulumi/policy";
import { RESOURCE_TYPES, type Container, type ObjectMeta, type PodSpec, type PropsByType } from "./resource-types";
import { isRecord, known, knownRecord, knownString, UNKNOWN, type Unknown } from "./values";

export const DEFAULT_NAMESPACE = "default";

export interface PodTemplate {
    metadata?: ObjectMeta;
    spec?: PodSpec;
}

/**
 * The pod template of a workload (the pod itself for a Pod). Reads go through the engine's
 * unknown-value proxy and may throw while a value is unknown.
 */
export function podTemplateOf(type: string, props: unknown): PodTemplate | undefined {
    switch (type) {
        case RESOURCE_TYPES.pod: {
            const pod = props as PropsByType[typeof RESOURCE_TYPES.pod];
            return { metadata: pod.metadata, spec: pod.spec };
        }
        case RESOURCE_TYPES.cronJob:
            return (props as PropsByType[typeof RESOURCE_TYPES.cronJob]).spec?.jobTemplate.spec?.template;
        case RESOURCE_TYPES.job:
            return (props as PropsByType[typeof RESOURCE_TYPES.job]).spec?.template;
        case RESOURCE_TYPES.statefulSet:
            return (props as PropsByType[typeof RESOURCE_TYPES.statefulSet]).spec?.template;
        case RESOURCE_TYPES.daemonSet:
            return (props as PropsByType[typeof RESOURCE_TYPES.daemonSet]).spec?.template;
        case RESOURCE_TYPES.deployment:
            return (props as PropsByType[typeof RESOURCE_TYPES.deployment]).spec?.template;
        default:
            return undefined;
    }
}

export interface NamedContainer {
    container: Container;
    /** `containers[0]`, `initContainers[1]`: where the container sits, for messages. */
    location: string;
}

/**
 * Visits every container of a workload's pod template (init containers first), with the template.
 * By default an unknown template, container list or container throws, and the engine reports the
 * policy as undecided in preview. With `skipUnknown` the unknown parts are left out and the known
 * containers still visited: for rules where an unknown value cannot be a violation (a literal secret).
 */
export function forEachContainer(
    type: string,
    props: unknown,
    visit: (named: NamedContainer, template: PodTemplate) => void,
    { skipUnknown = false }: { skipUnknown?: boolean } = {},
): void {
    const read = <T>(get: () => T): T | Unknown => (skipUnknown ? known(get) : get());
    const template = read(() => podTemplateOf(type, props));
    if (template === UNKNOWN || !template) return;
    for (const field of ["initContainers", "containers"] as const) {
        const list = read(() => template.spec?.[field]);
        if (list === UNKNOWN || !list) continue;
        for (let index = 0; index < list.length; index++) {
            const container = read(() => list[index]);
            if (container !== UNKNOWN) visit({ container, location: `${field}[${index}]` }, template);
        }
    }
}

export function describeContainer({ container, location }: NamedContainer): string {
    const name = known(() => container.name);
    return typeof name === "string" ? `container '${name}' (${location})` : location;
}

/** An annotation value, `UNKNOWN`, or undefined, without throwing on unknown values. */
export function annotationOf(metadata: unknown, key: string): string | Unknown | undefined {
    const annotations = knownRecord(metadata, "annotations");
    if (annotations === UNKNOWN) return UNKNOWN;
    return knownString(annotations, key);
}

/** A resource's `metadata`, tolerant of unknown values. */
export function metadataOf(resource: PolicyResource): Record<string, unknown> | undefined {
    const metadata = knownRecord(resource.props, "metadata");
    return metadata === UNKNOWN ? undefined : metadata;
}

/** A resource's `spec`, or undefined when it is absent or unknown. */
export function specOf(resource: PolicyResource): Record<string, unknown> | undefined {
    const spec = knownRecord(resource.props, "spec");
    return spec === UNKNOWN ? undefined : spec;
}

/** The namespace a namespaced object lives in (`default` when unset), or `UNKNOWN`. */
export function namespaceOfObject(metadata: unknown): string | Unknown {
    if (!isRecord(metadata)) return DEFAULT_NAMESPACE;
    const namespace = knownString(metadata, "namespace");
    if (namespace === UNKNOWN) return UNKNOWN;
    return namespace && namespace.length > 0 ? namespace : DEFAULT_NAMESPACE;
}

/** The last path segment of a Helm chart reference, without `.tgz` or a version suffix. */
export function chartNameOf(chart: string): string {
    const lastSegment = chart.replace(/\/+$/, "").split("/").pop() ?? chart;
    return lastSegment.replace(/\.tgz$/, "").replace(/-v?\d+\.\d+\.\d+.*$/, "");
}

export interface ImageReference {
    /** Registry host (`docker.io` when the reference names none). */
    registry: string;
    /** Registry plus repository path: the part an allowlist prefix is matched against. */
    repository: string;
    tag?: string;
    digest?: string;
}

/** Parses an OCI image reference (`[registry/]path[:tag][@digest]`). */
export function parseImage(reference: string): ImageReference {
    let rest = reference.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const lastColon = rest.lastIndexOf(":");
    if (lastColon > rest.lastIndexOf("/")) {
        tag = rest.slice(lastColon + 1);
        rest = rest.slice(0, lastColon);
    }
    const [first, ...others] = rest.split("/");
    const hasRegistry = others.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    const registry = hasRegistry ? first : "docker.io";
    const path = hasRegistry ? others.join("/") : others.length === 0 ? `library/${first}` : rest;
    return { registry, repository: `${registry}/${path}`, tag: tag || undefined, digest: digest || undefined };
}

/** Whether an image's repository is covered by a registry allowlist entry. */
export function registryAllowed(image: ImageReference, allowlist: readonly string[]): boolean {
    return allowlist.some((entry) => {
        const pattern = entry.replace(/\/+$/, "").toLowerCase();
        const repository = image.repository.toLowerCase();
        if (pattern.startsWith("*.")) {
            const [host, ...path] = pattern.slice(2).split("/");
            const registry = image.registry.toLowerCase();
            if (!(registry === host || registry.endsWith(`.${host}`))) return false;
            const prefix = path.join("/");
            return prefix === "" || repository.slice(registry.length + 1).startsWith(`${prefix}/`) || repository.slice(registry.length + 1) === prefix;
        }
        return repository === pattern || repository.startsWith(`${pattern}/`);
    });
}
