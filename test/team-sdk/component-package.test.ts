/**
 * The team SDK as a Pulumi component package (what `pulumi package add <repo>/team-sdk@<tag>`
 * serves to Python, Go, .NET, Java and YAML programs): Pulumi's own analyzer, run over the
 * package folder the way the nodejs plugin host does it (package name from package.json, the
 * components the entry point exports), produces the schema other languages' SDKs are generated
 * from. A shape the analyzer refuses fails here, not in a team's `pulumi package add`.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import * as YAML from "yaml";
import * as sdk from "@amlmesh/team-sdk";
import { PROJECT_ROOT } from "../harness";

const SDK_DIR = path.join(PROJECT_ROOT, "team-sdk");

interface SchemaProperty {
    type?: string;
    $ref?: string;
    plain?: boolean;
    items?: SchemaProperty;
    description?: string;
}
interface PackageSchema {
    name: string;
    namespace?: string;
    resources: Record<string, { isComponent: boolean; inputProperties: Record<string, SchemaProperty>; requiredInputs: string[]; properties: Record<string, SchemaProperty>; required: string[] }>;
    types: Record<string, { type: string; properties: Record<string, SchemaProperty>; required: string[] }>;
}

/** The provider name and namespace, derived from package.json as Pulumi's run-plugin does (`@ns/name`). */
function packageIdentity(dir: string): { name: string; namespace?: string } {
    const packageJSON = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name: string };
    const match = /^(@.*?\/)?(.+)$/.exec(packageJSON.name)!;
    return { name: match[2].replace(/[^-a-zA-Z0-9_]/g, "-"), namespace: match[1]?.slice(1, -1) };
}

/** `[type or $ref, optional?]` of each property, the way a reader of the schema sees it. */
function shape(properties: Record<string, SchemaProperty>, required: string[]): Record<string, string> {
    const describe = (property: SchemaProperty): string => (property.type === "array" ? `${describe(property.items!)}[]` : (property.type ?? property.$ref!));
    return Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, `${describe(property)}${required.includes(key) ? "" : "?"}`]));
}

describe("team SDK as a Pulumi component package (analyzer)", function () {
    this.timeout(90_000);
    let schema: PackageSchema;
    const identity = packageIdentity(SDK_DIR);

    before(async () => {
        const components = getPulumiComponents(sdk);
        const provider = new ComponentProvider({ name: identity.name, namespace: identity.namespace, dirname: SDK_DIR, components });
        schema = JSON.parse(await provider.getSchema()) as PackageSchema;
    });

    it("ships PulumiPlugin.yaml with the nodejs runtime, and names the package from package.json", () => {
        const plugin = YAML.parse(readFileSync(path.join(SDK_DIR, "PulumiPlugin.yaml"), "utf8")) as { runtime: string };
        assert.equal(plugin.runtime, "nodejs");
        assert.equal(schema.name, "team-sdk");
        assert.equal(schema.namespace, "amlmesh");
    });

    it("exports ModelService under the token the component registers with, every input plain and typed", () => {
        assert.deepEqual(Object.keys(schema.resources), ["team-sdk:index:ModelService"]);
        // The class registers under the same token, or the engine's Construct would not find it.
        assert.equal(sdk.MODEL_SERVICE_TYPE, "team-sdk:index:ModelService");
        const component = schema.resources[sdk.MODEL_SERVICE_TYPE];
        assert.equal(component.isComponent, true);
        assert.deepEqual(shape(component.inputProperties, component.requiredInputs), {
            platformStack: "string",
            team: "string",
            prefix: "string?",
            path: "string?",
            image: "string",
            port: "number",
            serviceAccount: "string",
            roles: "string[]",
            replicas: "number?",
            resources: "#/types/team-sdk:index:ContainerResources?",
            rateLimit: "#/types/team-sdk:index:RateLimit?",
            callers: "#/types/team-sdk:index:MeshCaller[]?",
            healthPath: "string?",
        });
        for (const [key, property] of Object.entries(component.inputProperties)) {
            assert.equal(property.plain, true, `${key} is a plain value`);
            assert.ok(property.description, `${key} has the JSDoc as its description`);
        }
        assert.deepEqual(shape(component.properties, component.required), { namespace: "string", url: "string" });
    });

    it("declares the nested argument types", () => {
        const types = Object.fromEntries(Object.entries(schema.types).map(([token, type]) => [token, shape(type.properties, type.required)]));
        assert.deepEqual(types, {
            "team-sdk:index:ContainerResources": { cpu: "string", memory: "string" },
            "team-sdk:index:RateLimit": { requestsPerSecond: "number", burst: "number" },
            "team-sdk:index:MeshCaller": { namespace: "string", serviceAccount: "string" },
        });
    });

    it("loads as the plugin host runs it: the folder's TypeScript under Pulumi's ts-node, type-checked", () => {
        const run = spawnSync(process.execPath, [path.join(__dirname, "fixtures", "plugin-load.cjs")], { cwd: SDK_DIR, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), ["ModelService"]);
    });

    it("refuses args another language cannot express (a union-typed arg in a copy of the package)", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "team-sdk-analyzer-"));
        try {
            for (const entry of ["package.json", "tsconfig.json", "src"]) cpSync(path.join(SDK_DIR, entry), path.join(dir, entry), { recursive: true });
            symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
            const file = path.join(dir, "src", "model-service.ts");
            const source = readFileSync(file, "utf8");
            // The shape the SDK had before: the platform given as an already-read value.
            const edited = source.replace("    platformStack: string;\n", "    platformStack: string | PlatformReference;\n");
            assert.notEqual(edited, source, "the edit applies");
            writeFileSync(file, edited);
            const provider = new ComponentProvider({ name: identity.name, namespace: identity.namespace, dirname: dir, components: getPulumiComponents(sdk) });
            await assert.rejects(provider.getSchema(), /Union types are not supported for component 'ModelService' property 'ModelServiceArgs\.platformStack'/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
