import * as assert from "node:assert/strict";
import { OUTPUTS_SCHEMA_VERSION } from "@amlmesh/team-sdk/kit/outputs-contract";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { PlanDocument } from "../../offline/document";
import { planStack } from "../../offline/plan";
import { PROJECT_ROOT } from "../harness";

/** Runs the plan CLI as users do: its own process, as `npm run plan` starts it. */
function planCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, ["--import", "tsx", "offline/plan.ts", ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const shippedStackText = (stack: string) => readFileSync(path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8");

describe("offline plan", function () {
    this.timeout(60_000);

    describe("the prod document (--json, in its own process)", () => {
        let run: ReturnType<typeof planCli>;
        let document: PlanDocument;
        before(() => {
            run = planCli(["--stack", "prod", "--json"]);
            document = JSON.parse(run.stdout) as PlanDocument;
        });

        it("exits 0: the shipped prod stack has no mandatory violation", () => {
            assert.equal(run.status, 0, run.stderr);
            assert.deepEqual(
                document.policy.violations.filter((violation) => violation.level === "mandatory"),
                [],
            );
        });

        it("carries the stack, every resource with URN, type, name, parent, dependencies and inputs", () => {
            assert.equal(document.stack, "prod");
            assert.equal(document.environment, "prod");
            assert.ok(document.resources.length > 50, `only ${document.resources.length} resources`);
            const urns = new Set(document.resources.map((resource) => resource.urn));
            for (const resource of document.resources) {
                assert.match(resource.urn, /^urn:pulumi:prod::amlmesh::/);
                assert.equal(typeof resource.type, "string");
                assert.equal(typeof resource.name, "string");
                assert.ok(Array.isArray(resource.dependencies));
                assert.equal(typeof resource.inputs, "object");
                if (resource.type !== "pulumi:pulumi:Stack") assert.ok(resource.parent && urns.has(resource.parent), `${resource.urn} has no known parent`);
                for (const dependency of resource.dependencies) assert.ok(urns.has(dependency), `${resource.urn} depends on unknown ${dependency}`);
            }
        });

        it("exports the versioned outputs contract", () => {
            assert.equal(document.outputs.schemaVersion, OUTPUTS_SCHEMA_VERSION);
        });

        it("lists policy verdicts with policy, level, severity, URN and message", () => {
            assert.ok(Array.isArray(document.policy.violations));
            assert.equal(document.policy.pack, "amlmesh-zero-trust");
            for (const violation of document.policy.violations) {
                for (const field of ["policy", "level", "severity", "urn", "message"] as const) assert.equal(typeof violation[field], "string");
            }
        });

        it("masks every secret: no private key material anywhere in the document", () => {
            assert.doesNotMatch(run.stdout, /PRIVATE KEY-----/);
            assert.match(run.stdout, /"\[secret\]"/, "the mesh PKI keys should appear masked");
        });
    });

    it("plans dev by default and prints a readable summary", () => {
        const run = planCli([]);
        assert.match(run.stdout, /Offline plan of stack 'dev' \(environment dev/);
        assert.match(run.stdout, /Resources by component:/);
        assert.match(run.stdout, /Stack outputs:/);
        assert.match(run.stdout, /Policy pack amlmesh-zero-trust@/);
    });

    it("refuses bad usage with exit status 2", () => {
        const run = planCli(["--stak", "prod"]);
        assert.equal(run.status, 2);
        assert.match(run.stderr, /Unknown option '--stak'[\s\S]*usage: npm run plan/);
    });

    describe("refuses a bad stack file, naming the problem", () => {
        let dir: string;
        beforeEach(() => {
            dir = mkdtempSync(path.join(tmpdir(), "amlmesh-plan-"));
        });
        afterEach(() => rmSync(dir, { recursive: true, force: true }));

        async function planText(text: string): Promise<{ exitCode: number; stderr: string; stdout: string }> {
            writeFileSync(path.join(dir, "Pulumi.bad.yaml"), text);
            return planStack({ stack: "bad", json: false, configDir: dir });
        }

        it("a YAML syntax error, with file, line and column", async () => {
            const result = await planText(shippedStackText("dev").replace("  amlmesh:location: westeurope", "  amlmesh:location: [westeurope"));
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /Pulumi\.bad\.yaml:\d+:\d+: YAML syntax error/);
            assert.equal(result.stdout, "");
        });

        it("a key given twice", async () => {
            const result = await planText(shippedStackText("dev").replace("  amlmesh:location: westeurope", "  amlmesh:location: westeurope\n  amlmesh:location: northeurope"));
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /Pulumi\.bad\.yaml:\d+:\d+: YAML syntax error: Map keys must be unique/);
        });

        it("an encrypted value, which the offline plan cannot and should not need to read", async () => {
            const result = await planText(shippedStackText("dev").replace("  amlmesh:namePrefix: aml", "  amlmesh:namePrefix:\n    secure: AAABAKx0Zm9v"));
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /amlmesh:namePrefix is an encrypted \(secure:\) value/);
        });

        it("an unknown key, with the key probably meant", async () => {
            const result = await planText(shippedStackText("dev").replace("  amlmesh:routes:", "  amlmesh:route:"));
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /amlmesh:route: unknown key \(did you mean 'routes'\?\)/);
        });

        it("a cross-field conflict", async () => {
            const result = await planText(shippedStackText("dev").replace("privateEndpoints: 10.10.16.0/24", "privateEndpoints: 10.10.0.0/24"));
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /amlmesh:network\.subnets\.privateEndpoints: 10\.10\.0\.0\/24 overlaps subnet aksNodes/);
        });

        it("a missing required key", async () => {
            const result = await planText(shippedStackText("dev").replace(/^  amlmesh:tenantId: .*$/m, ""));
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /amlmesh:tenantId: is required/);
        });

        it("a malformed value", async () => {
            const result = await planText(shippedStackText("dev").replace("addressSpace: 10.10.0.0/16", "addressSpace: 10.10.0.0/33"));
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /amlmesh:network\.addressSpace: got "10\.10\.0\.0\/33", expected an IPv4 CIDR block/);
        });

        it("a value out of range", async () => {
            const result = await planText(shippedStackText("dev").replace("controllerReplicas: 1", "controllerReplicas: 0"));
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /amlmesh:edge\.controllerReplicas: got 0, expected at least 1/);
        });

        it("a stack without a file", async () => {
            const result = await planStack({ stack: "nosuch", json: false, configDir: dir });
            assert.equal(result.exitCode, 1);
            assert.match(result.stderr, /Pulumi\.nosuch\.yaml: cannot read \(ENOENT\)/);
        });
    });
});
