/**
 * The F5 NGINX Ingress Controller's CustomResourceDefinitions (VirtualServer, VirtualServerRoute,
 * Policy, TransportServer, GlobalConfiguration), applied as resources of their own.
 *
 * Helm installs a chart's `crds/` folder on the first install only and never upgrades it, so a
 * chart bump would leave the cluster with the previous CRD schemas (new Policy fields pruned or
 * refused). The program applies the CRDs of the pinned controller version from the repository's
 * upstream reference data (`upstream/crds/nginx-ingress-<version>/`, verbatim copies whose
 * provenance `upstream/sources.json` records and the tests hash-check) and the release skips
 * the chart's copy (`skipCrds`). Bumping the controller without adding its CRDs fails here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { PLATFORM_LABELS } from "@amlmesh/team-sdk/kit/mesh/types";
import { NGINX_INGRESS } from "../versions";

/** Folder holding the CRDs of the pinned controller version. */
export const NGINX_INGRESS_CRDS_DIR = path.join(__dirname, "..", "..", "upstream", "crds", `nginx-ingress-${NGINX_INGRESS.image.tag}`);

/** One CRD manifest as read from the folder. */
interface CrdManifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
    spec: k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec;
}

/** Reads every CRD of the pinned version; fails, naming the folder, when there are none. */
export function readIngressCrds(dir = NGINX_INGRESS_CRDS_DIR): CrdManifest[] {
    if (!fs.existsSync(dir)) {
        throw new Error(`no CRDs for NGINX Ingress Controller ${NGINX_INGRESS.image.tag}: add them to ${dir} (see upstream/README.md)`);
    }
    const files = fs.readdirSync(dir).filter((file) => file.endsWith(".yaml")).sort();
    if (files.length === 0) throw new Error(`no CRD files in ${dir}`);
    return files.map((file) => {
        const manifest = parse(fs.readFileSync(path.join(dir, file), "utf8")) as Partial<CrdManifest> | null;
        if (manifest?.kind !== "CustomResourceDefinition" || manifest.apiVersion !== "apiextensions.k8s.io/v1" || !manifest.metadata?.name || !manifest.spec) {
            throw new Error(`${path.join(dir, file)} is not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
        }
        return manifest as CrdManifest;
    });
}

export interface IngressCrdsArgs {
    /** Folder to read instead of the pinned version's (tests). */
    dir?: string;
}

export class IngressCrds extends pulumi.ComponentResource {
    /** One resource per CRD, keyed by the CRD name (`policies.k8s.nginx.org`). */
    readonly definitions: Map<string, k8s.apiextensions.v1.CustomResourceDefinition>;

    constructor(name: string, args: IngressCrdsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:edge:IngressCrds", name, {}, opts);
        this.definitions = new Map(
            readIngressCrds(args.dir).map((crd) => [
                crd.metadata.name,
                new k8s.apiextensions.v1.CustomResourceDefinition(
                    `${name}-${crd.metadata.name}`,
                    {
                        metadata: { ...crd.metadata, labels: { ...crd.metadata.labels, ...PLATFORM_LABELS } },
                        spec: crd.spec,
                    },
                    { parent: this },
                ),
            ]),
        );
        this.registerOutputs({ names: [...this.definitions.keys()] });
    }
}
