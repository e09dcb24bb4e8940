/**
 * The upstream reference data in `upstream/` is complete for what the program pins and declares,
 * and is what its provenance says it is.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as versions from "../../components/versions";
import { plannedStack, STACKS } from "../infra/azure-stacks";
import { chartName } from "./chart-values";
import { customResourceKind, loadCrdSchemas } from "./crd-schemas";
import { gitBlobId, PINNED_REFERENCE_DATA, readSources, UPSTREAM_DIR, upstreamPath } from "./upstream";

/**
 * Pins in components/versions.ts that need no reference data, and why. Every other export must
 * map to folders in PINNED_REFERENCE_DATA, so a new pin cannot arrive without its schemas.
 */
const NO_REFERENCE_DATA: Record<string, string> = {
    // The program declares no Gateway API object (the test below proves it); Linkerd only needs
    // the CRDs installed. A first HTTPRoute/Gateway would need their schemas here.
    GATEWAY_API: "installed for Linkerd, no objects declared",
    // Our image: its contract is tested against the authorizer's own source.
    EDGE_AUTHORIZER_IMAGE: "built from services/edge-authorizer",
    // A cluster extension configured through ARM; its settings have no published schema.
    AZUREML_EXTENSION_VERSION: "ARM extension, no upstream schema published",
    // Facts about versions, not pins of an artifact.
    AKS_KUBERNETES_CALENDAR: "support calendar",
    KUBERNETES_TESTED_RANGE: "tested range of the pins above",
};

describe("upstream reference data", () => {
    it("has a folder for every chart and controller version pinned in components/versions.ts", () => {
        for (const folder of Object.values(PINNED_REFERENCE_DATA)) assert.doesNotThrow(() => upstreamPath(folder), folder);
        const covered = new Set(["NGINX_INGRESS", "LINKERD"]);
        for (const name of Object.keys(versions)) {
            if (/^[A-Z_]+$/.test(name)) assert.ok(covered.has(name) || name in NO_REFERENCE_DATA, `components/versions.ts exports ${name}: add its reference data (PINNED_REFERENCE_DATA) or say why none is needed`);
        }
    });

    it("records provenance for every file, and verbatim files hash to their upstream blob", () => {
        const sources = readSources();
        const recorded = new Set(sources.flatMap((source) => source.files.map((file) => path.join(source.dir, file.file))));
        const present = ["crds", "chart-values"].flatMap((top) =>
            fs.readdirSync(upstreamPath(top)).flatMap((folder) => fs.readdirSync(upstreamPath(top, folder)).map((file) => path.join(top, folder, file))),
        );
        assert.deepEqual([...present].sort(), [...recorded].sort(), "files on disk and in upstream/sources.json");
        for (const source of sources) {
            assert.match(source.commit, /^[0-9a-f]{40}$/, source.dir);
            assert.equal(source.license, "Apache-2.0", source.dir);
            if (!source.verbatim) assert.ok(source.edit && source.edit.length > 0, `${source.dir}: an edited copy must say what was edited`);
            for (const file of source.files) {
                const blob = gitBlobId(fs.readFileSync(path.join(UPSTREAM_DIR, source.dir, file.file)));
                if (source.verbatim) assert.equal(blob, file.blob, `${source.dir}/${file.file} differs from upstream ${file.path}`);
            }
        }
        assert.ok(fs.statSync(path.join(UPSTREAM_DIR, "LICENSE-Apache-2.0.txt")).size > 10_000, "licence text");
    });

    for (const stack of STACKS) {
        it(`${stack}: every Helm release and custom resource kind the plan declares has its reference data`, async () => {
            const plan = await plannedStack(stack);
            const releases = plan.ofType("kubernetes:helm.sh/v3:Release");
            assert.ok(releases.length >= 3, "linkerd-crds, linkerd-control-plane, nginx-ingress");
            for (const release of releases) {
                assert.doesNotThrow(() => upstreamPath("chart-values", `${chartName(String(release.input("chart")))}-${String(release.input("version"))}`), release.urn);
            }
            const schemas = loadCrdSchemas();
            for (const resource of plan.evaluation.resources) {
                const kind = customResourceKind(resource);
                if (kind) assert.ok(schemas.validators.has(kind), `${resource.urn}: no schema for ${kind}`);
                assert.doesNotMatch(resource.type, /^kubernetes:gateway\.networking\.k8s\.io\//, "Gateway API objects need their CRD schemas in upstream/");
            }
        });
    }
});
