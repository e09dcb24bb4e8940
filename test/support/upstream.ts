/**
 * Where the upstream reference data lives (`upstream/` at the repository root, see its README)
 * and which folder holds the data for each version pinned in `components/versions.ts`.
 * A missing folder or file is an error, never a reason to skip a check.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { LINKERD, NGINX_INGRESS } from "../../components/versions";

export const UPSTREAM_DIR = path.resolve(__dirname, "..", "..", "upstream");

/** Folders (relative to UPSTREAM_DIR) that must exist for the pinned versions. */
export const PINNED_REFERENCE_DATA = {
    nginxIngressCrds: `crds/nginx-ingress-${NGINX_INGRESS.image.tag}`,
    nginxIngressValues: `chart-values/nginx-ingress-${NGINX_INGRESS.chartVersion}`,
    linkerdCrds: `crds/linkerd-${LINKERD.version}`,
    linkerdControlPlaneValues: `chart-values/${LINKERD.controlPlaneChart}-${LINKERD.chartVersion}`,
    linkerdCrdsValues: `chart-values/${LINKERD.crdsChart}-${LINKERD.chartVersion}`,
} as const;

/** Absolute path of a file or folder under UPSTREAM_DIR; throws, naming it, when it is missing. */
export function upstreamPath(...segments: string[]): string {
    const full = path.join(UPSTREAM_DIR, ...segments);
    if (!fs.existsSync(full)) {
        throw new Error(`upstream reference data missing: ${path.relative(process.cwd(), full) || full} (see upstream/README.md for how to add it)`);
    }
    return full;
}

export interface SourceFile {
    file: string;
    path: string;
    blob: string;
}

export interface Source {
    dir: string;
    component: string;
    repository: string;
    tag: string;
    commit: string;
    license: string;
    verbatim: boolean;
    edit?: string;
    files: SourceFile[];
}

/** The provenance records of `upstream/sources.json`. */
export function readSources(): Source[] {
    return (JSON.parse(fs.readFileSync(upstreamPath("sources.json"), "utf8")) as { sources: Source[] }).sources;
}

/** The git blob id of a file's content (what `git hash-object` prints). */
export function gitBlobId(content: Buffer): string {
    return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}
