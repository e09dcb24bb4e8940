/**
 * The team SDK installs on its own: packed the way a team receives it (npm run sdk:pack), put
 * into a folder with only the packages its package.json declares, it loads in plain Node (no
 * tsx, no TypeScript: what Node and Pulumi's ts-node do with a package in node_modules) and
 * publishes a model service against the prod platform plan's outputs. No file of the package
 * imports anything outside it but its declared dependencies.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { packTeamSdk } from "../../team-sdk/scripts/pack";
import { PROJECT_ROOT } from "../harness";
import { plannedStack } from "../infra/azure-stacks";

interface Manifest {
    name: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
}

function filesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The package name of a bare specifier (`@scope/name/sub` gives `@scope/name`). */
function packageOf(specifier: string): string {
    const parts = specifier.split("/");
    return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

describe("team SDK package (packed, installed on its own)", function () {
    this.timeout(120_000);
    let root: string;
    let installed: string;
    let manifest: Manifest;
    let tarball: string;

    before(() => {
        root = mkdtempSync(path.join(tmpdir(), "team-sdk-package-"));
        tarball = packTeamSdk(root);
        const consumer = path.join(root, "consumer");
        installed = path.join(consumer, "node_modules", "@amlmesh", "team-sdk");
        mkdirSync(installed, { recursive: true });
        const untar = spawnSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"], { encoding: "utf8" });
        assert.equal(untar.status, 0, untar.stderr);
        manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as Manifest;
        // Exactly the declared dependencies, at the root's pinned versions (the offline stand-in for npm install).
        for (const name of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
            mkdirSync(path.dirname(path.join(consumer, "node_modules", name)), { recursive: true });
            symlinkSync(path.join(PROJECT_ROOT, "node_modules", name), path.join(consumer, "node_modules", name));
        }
    });

    after(() => {
        if (root) rmSync(root, { recursive: true, force: true });
    });

    it("ships compiled JavaScript and declarations only, and its entry points resolve to them", () => {
        const files = filesUnder(installed).map((file) => path.relative(installed, file));
        assert.ok(files.includes("dist/index.js") && files.includes("dist/index.d.ts") && files.includes("dist/kit/edge/protected-route.js"), files.join(", "));
        assert.deepEqual(
            files.filter((file) => !/^dist\/.+\.(js|d\.ts)$/.test(file)),
            ["package.json"],
        );
        assert.ok(!existsSync(path.join(path.dirname(root), "node_modules")), "a node_modules above the temp dir would hide missing packages");
    });

    it("is what the example team project pins: this version's tarball, with the SDK's peer versions", () => {
        const example = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "examples", "fraud-scoring", "package.json"), "utf8")) as { dependencies: Record<string, string> };
        assert.equal(example.dependencies["@amlmesh/team-sdk"], `file:${path.basename(tarball)}`);
        for (const [name, version] of Object.entries(manifest.peerDependencies ?? {})) assert.equal(example.dependencies[name], version, name);
    });

    it("imports nothing but its own files and the packages it declares", () => {
        const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }));
        const builtins = new Set(builtinModules);
        let imports = 0;
        for (const file of filesUnder(installed).filter((f) => f.endsWith(".js"))) {
            for (const [, specifier] of readFileSync(file, "utf8").matchAll(/require\("([^"]+)"\)/g)) {
                imports++;
                if (specifier.startsWith(".")) {
                    const target = require.resolve(path.resolve(path.dirname(file), specifier));
                    assert.ok(target.startsWith(installed + path.sep), `${path.relative(installed, file)} imports ${specifier} outside the package`);
                } else {
                    assert.ok(declared.has(packageOf(specifier)) || builtins.has(specifier.replace(/^node:/, "")), `${path.relative(installed, file)} imports ${specifier}, which package.json does not declare`);
                }
            }
        }
        assert.ok(imports > 20, `found ${imports} imports`);
    });

    it("publishes a model service in plain Node against the prod platform plan's outputs, children under the component", async () => {
        const platformStack = "organization/amlmesh/prod";
        const outputsFile = path.join(root, "platform-outputs.json");
        writeFileSync(outputsFile, JSON.stringify((await plannedStack("prod")).outputs));
        const consumer = path.join(root, "consumer");
        writeFileSync(path.join(consumer, "program.cjs"), readFileSync(path.join(__dirname, "fixtures", "packed-consumer.cjs")));
        const run = spawnSync(process.execPath, ["program.cjs", outputsFile, platformStack], { cwd: consumer, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
        assert.equal(run.status, 0, run.stderr);
        const result = JSON.parse(run.stdout) as { url: string; entry: string; registered: { type: string; name: string; urn: string; parent: string }[] };
        assert.equal(realpathSync(result.entry), realpathSync(path.join(installed, "dist", "index.js")));
        assert.equal(result.url, "https://ml.example.com/teams/fraud/score");
        // (The StackReference is read, not registered, so it does not show here.)
        const types = result.registered.map((resource) => resource.type);
        for (const type of ["team-sdk:index:ModelService", "kubernetes:apps/v1:Deployment", "kubernetes:k8s.nginx.org/v1:VirtualServerRoute", "kubernetes:policy.linkerd.io/v1beta3:Server"]) {
            assert.ok(types.includes(type), `${type} in ${types.join(", ")}`);
        }
        // Every resource descends from the component (parents by URN), so a preview shows them under it.
        const byUrn = new Map(result.registered.map((resource) => [resource.urn, resource]));
        const component = result.registered.find((resource) => resource.type === "team-sdk:index:ModelService")!;
        for (const resource of result.registered.filter((r) => r !== component)) {
            let ancestor = byUrn.get(resource.parent);
            while (ancestor && ancestor !== component) ancestor = byUrn.get(ancestor.parent);
            assert.equal(ancestor, component, `${resource.urn} descends from the ModelService`);
        }
    });
});
