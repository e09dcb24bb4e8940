/**
 * Everything a plan pulls from outside: Helm charts with their versions, container images (in
 * workload specs and in chart values) and remote manifests. Tests compare the list with
 * components/versions.ts, the one place versions are pinned.
 */
import * as assert from "node:assert/strict";
import { GATEWAY_API, LINKERD, NGINX_INGRESS } from "../../components/versions";
import type { CapturedResource } from "../../offline/document";
import { unwrapWire } from "../../offline/wire";

export type ArtifactKind = "chart" | "image" | "image-tag" | "manifest";

export interface Artifact {
    urn: string;
    kind: ArtifactKind;
    /** Chart `name@version`, image reference, `repository:tag` from values, or a URL. */
    value: string;
    /** Where in the inputs it was found. */
    path: string;
}

const WORKLOAD = /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:(Job|CronJob)|core\/v1:Pod)$/;

export function collectArtifacts(resources: readonly CapturedResource[]): Artifact[] {
    const found: Artifact[] = [];
    for (const resource of resources) {
        const inputs = unwrapWire(resource.inputs) as Record<string, unknown>;
        if (resource.type === "kubernetes:helm.sh/v3:Release" || resource.type === "kubernetes:helm.sh/v4:Chart") {
            found.push({ urn: resource.urn, kind: "chart", value: `${String(inputs.chart)}@${String(inputs.version)}`, path: "chart" });
            walkValues(inputs.values, "values", (path, value) => found.push({ urn: resource.urn, path, ...value }));
        } else if (resource.type.startsWith("kubernetes:yaml/")) {
            for (const key of ["file", "files", "url", "urls"]) {
                for (const value of ([] as unknown[]).concat(inputs[key] ?? [])) {
                    found.push({ urn: resource.urn, kind: "manifest", value: String(value), path: key });
                }
            }
        } else if (WORKLOAD.test(resource.type)) {
            walkContainers(inputs.spec, "spec", (path, image) => found.push({ urn: resource.urn, kind: "image", value: image, path }));
        }
    }
    return found;
}

/** Images in chart values: `{ repository, tag }` objects, `image: "ref:tag"` strings, and Linkerd's `linkerdVersion`. */
function walkValues(value: unknown, path: string, emit: (path: string, artifact: { kind: ArtifactKind; value: string }) => void): void {
    if (Array.isArray(value)) {
        value.forEach((item, i) => walkValues(item, `${path}[${i}]`, emit));
        return;
    }
    if (typeof value !== "object" || value === null) return;
    const object = value as Record<string, unknown>;
    if (typeof object.repository === "string" && ("tag" in object || "digest" in object)) {
        emit(path, { kind: "image-tag", value: `${object.repository}:${String(object.digest ?? object.tag)}` });
    }
    for (const [key, inner] of Object.entries(object)) {
        if (key === "image" && typeof inner === "string") emit(`${path}.${key}`, { kind: "image", value: inner });
        else if (key === "linkerdVersion" && typeof inner === "string") emit(`${path}.${key}`, { kind: "image-tag", value: `cr.l5d.io/linkerd/*:${inner}` });
        else walkValues(inner, `${path}.${key}`, emit);
    }
}

function walkContainers(value: unknown, path: string, emit: (path: string, image: string) => void): void {
    if (Array.isArray(value)) {
        value.forEach((item, i) => walkContainers(item, `${path}[${i}]`, emit));
        return;
    }
    if (typeof value !== "object" || value === null) return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        if (key === "image" && typeof inner === "string") emit(`${path}.image`, inner);
        else walkContainers(inner, `${path}.${key}`, emit);
    }
}

/** Image references that float: no tag, `latest`, or a tag that is not a version or digest. */
export function isFloating(reference: string): boolean {
    if (/@sha256:[a-f0-9]{64}$/.test(reference)) return false;
    const tag = /:([^/:]+)$/.exec(reference)?.[1];
    return tag === undefined || tag === "latest" || tag === "" || /^(stable|edge|main|master|dev)$/.test(tag);
}

/**
 * Asserts that every chart, image and manifest among `resources` is one that
 * components/versions.ts pins (the edge authorizer as `authorizerImage`, the build the stack
 * pins by digest), and that no image floats.
 */
export function assertArtifactsPinned(resources: readonly CapturedResource[], authorizerImage: string): void {
    const pinned = new Set([
        `${LINKERD.crdsChart}@${LINKERD.chartVersion}`,
        `${LINKERD.controlPlaneChart}@${LINKERD.chartVersion}`,
        `${NGINX_INGRESS.chart}@${NGINX_INGRESS.chartVersion}`,
        `${NGINX_INGRESS.image.repository}:${NGINX_INGRESS.image.tag}`,
        `cr.l5d.io/linkerd/*:${LINKERD.version}`,
        authorizerImage,
        GATEWAY_API.manifestUrl,
    ]);
    const artifacts = collectArtifacts(resources);
    assert.ok(artifacts.length >= pinned.size, `only ${artifacts.length} artifacts found`);
    for (const artifact of artifacts) {
        assert.ok(pinned.has(artifact.value), `${artifact.kind} ${artifact.value} (${artifact.urn} ${artifact.path}) is not pinned in components/versions.ts`);
        if (artifact.kind === "image" || artifact.kind === "image-tag") assert.ok(!isFloating(artifact.value), artifact.value);
    }
}
