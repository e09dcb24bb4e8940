/**
 * `npm run policy:check`: the three document formats, environment selection, the report, and
 * exit codes (0 clean, 1 mandatory violations, 2 bad input).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EXIT, runCheck } from "../../offline/policy-check";
import { readResourceDocument } from "../../offline/resource-documents";

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(__dirname, "fixtures");
const PLAN = path.join(FIXTURES, "plan-dev.json");
const PREVIEW = path.join(FIXTURES, "preview-prod.json");
const EXPORT = path.join(FIXTURES, "stack-export-staging.json");

interface JsonReport {
    format: string;
    stack: string | null;
    environment: string;
    environmentSource: string;
    summary: { resources: number; mandatory: number; advisory: number };
    violations: { policy: string; level: string; severity: string; urn: string; message: string }[];
    controls: { framework: string; control: string; policies: string[]; violatedBy: string[] }[];
}

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await runCheck(argv, { stdout: (text) => (stdout += `${text}\n`), stderr: (text) => (stderr += `${text}\n`) });
    return { code, stdout, stderr };
}

async function runJson(...argv: string[]): Promise<{ code: number; report: JsonReport }> {
    const { code, stdout } = await run(...argv, "--json");
    return { code, report: JSON.parse(stdout) as JsonReport };
}

describe("policy:check (offline policy checker)", () => {
    let scratch: string;
    before(() => (scratch = mkdtempSync(path.join(tmpdir(), "policy-check-"))));
    after(() => rmSync(scratch, { recursive: true, force: true }));

    const writeScratch = (name: string, content: string) => {
        const file = path.join(scratch, name);
        writeFileSync(file, content);
        return file;
    };

    describe("offline plan document", () => {
        it("takes the environment from the document and passes with advisory findings only (exit 0)", async () => {
            const { code, stdout } = await run(PLAN);
            assert.equal(code, EXIT.ok);
            assert.match(stdout, /Environment: dev \(from the plan document\)/);
            assert.match(stdout, /0 mandatory, 1 advisory violation\(s\)/);
            assert.match(stdout, /ADVISORY \[high\] storage-no-shared-key-access\n  urn:pulumi:dev::amlmesh::amlmesh:azure:DataPlane\$azure-native:storage:StorageAccount::st\n  allowSharedKeyAccess is not false/);
            assert.match(stdout, /Controls covered: \d+/);
            assert.match(stdout, /SOC 2 CC7\.2: ok/);
        });

        it("treats masked secrets as secrets (not literals) and masked unknowns as unknown", async () => {
            const { report } = await runJson(PLAN);
            assert.ok(!report.violations.some((violation) => violation.policy.startsWith("no-secret")), "'[secret]' in Helm values and outputs is not a literal");
            assert.ok(!report.violations.some((violation) => violation.policy === "diagnostic-settings-to-log-analytics"), "resourceUri '[unknown]' links through propertyDependencies");
        });

        it("--env overrides the document: the same plan fails prod's mandatory rules (exit 1)", async () => {
            const { code, report } = await runJson(PLAN, "--env", "prod");
            assert.equal(code, EXIT.mandatoryViolations);
            assert.equal(report.environment, "prod");
            assert.equal(report.environmentSource, "--env");
            const mandatory = report.violations.filter((violation) => violation.level === "mandatory").map((violation) => violation.policy);
            assert.ok(mandatory.includes("storage-no-shared-key-access"));
            assert.ok(mandatory.includes("azure-no-public-network-access"), "dev's fenced public endpoints are not allowed in prod");
        });
    });

    describe("pulumi preview --json", () => {
        it("derives the environment from the URNs, skips deleted resources and fails on mandatory violations (exit 1)", async () => {
            const { code, report } = await runJson(PREVIEW);
            assert.equal(code, EXIT.mandatoryViolations);
            assert.equal(report.format, "preview");
            assert.equal(report.environment, "prod");
            assert.match(report.environmentSource, /stack name 'prod' in the URNs/);
            assert.equal(report.summary.resources, 5, "the deleted ingress-nginx release is not judged");
            assert.deepEqual(report.violations.map((violation) => violation.policy).sort(), ["azure-no-privileged-role-at-inferred-scope", "edge-external-auth-required", "edge-tls-required"]);
            for (const violation of report.violations) {
                assert.deepEqual(Object.keys(violation).sort(), ["level", "message", "policy", "severity", "urn"]);
                assert.equal(violation.level, "mandatory");
                assert.match(violation.urn, /^urn:pulumi:prod::amlmesh::/);
            }
            const owner = report.violations.find((violation) => violation.policy === "azure-no-privileged-role-at-inferred-scope");
            assert.equal(owner?.severity, "critical");
            assert.match(owner?.message ?? "", /Owner at a scope computed only from resource group 'rg'/);
            const tls = report.controls.find((control) => control.control === "164.312(e)(1)");
            assert.deepEqual(tls?.violatedBy, ["edge-tls-required"]);
        });

        it("reads newState as the engine's state: type, parent, provider and property dependencies", () => {
            const document = readResourceDocument(JSON.parse(readFileSync(PREVIEW, "utf8")));
            const assignment = document.resources.find((resource) => resource.name === "ci-owner");
            assert.equal(assignment?.type, "azure-native:authorization:RoleAssignment");
            assert.equal(assignment?.parent, "urn:pulumi:prod::amlmesh::pulumi:pulumi:Stack::amlmesh-prod");
            assert.deepEqual(assignment?.propertyDependencies.scope, ["urn:pulumi:prod::amlmesh::azure-native:resources:ResourceGroup::rg"]);
            const stack = document.resources.find((resource) => resource.type === "pulumi:pulumi:Stack");
            assert.deepEqual(stack?.inputs, { schemaVersion: 1, edge: { hostName: "ml.example.com" } }, "the stack's outputs are its properties");
        });
    });

    describe("pulumi stack export", () => {
        it("derives staging from the URNs, links diagnostic settings by resource ID, and reports the vault without purge protection (exit 1)", async () => {
            const { code, report } = await runJson(EXPORT);
            assert.equal(code, EXIT.mandatoryViolations);
            assert.equal(report.format, "stack-export");
            assert.equal(report.environment, "staging");
            assert.deepEqual(
                report.violations.map(({ policy, level, urn }) => ({ policy, level, urn })),
                [{ policy: "keyvault-purge-protection", level: "mandatory", urn: "urn:pulumi:staging::amlmesh::azure-native:keyvault:Vault::kv" }],
            );
        });

        it("keeps encrypted secrets secret and masked", () => {
            const document = readResourceDocument(JSON.parse(readFileSync(EXPORT, "utf8")));
            const release = document.resources.find((resource) => resource.name === "cert-sync");
            assert.deepEqual(release?.inputs.values, { auth: { clientSecret: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "[secret]" } } });
            const vault = document.resources.find((resource) => resource.name === "kv");
            assert.equal(vault?.inputs.id, "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aml-staging/providers/Microsoft.KeyVault/vaults/kv-aml-staging");
        });

        it("reads --show-secrets plaintext as secret values, which the rules then inspect", async () => {
            const document = JSON.parse(readFileSync(EXPORT, "utf8")) as { deployment: { resources: { urn: string; inputs?: { values?: { auth: Record<string, unknown> } } }[] } };
            const release = document.deployment.resources.find((resource) => resource.urn.endsWith("::cert-sync"));
            if (!release?.inputs?.values) throw new Error("fixture changed");
            release.inputs.values.auth.clientSecret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(`Abc8Q~${"x".repeat(34)}`) };
            const { report } = await runJson(writeScratch("plaintext.json", JSON.stringify(document)));
            assert.ok(report.violations.some((violation) => violation.policy === "no-secret-literals" && /Entra client secret/.test(violation.message)));
        });
    });

    describe("bad input (exit 2)", () => {
        it("an unreadable file, a non-JSON file and an unknown format", async () => {
            const missing = await run(path.join(scratch, "missing.json"));
            assert.equal(missing.code, EXIT.badInput);
            assert.match(missing.stderr, /Cannot read .*missing\.json/);
            const notJson = await run(writeScratch("broken.json", "{ not json"));
            assert.equal(notJson.code, EXIT.badInput);
            assert.match(notJson.stderr, /is not JSON/);
            const unknown = await run(writeScratch("other.json", JSON.stringify({ hello: "world" })));
            assert.equal(unknown.code, EXIT.badInput);
            assert.match(unknown.stderr, /Unknown document format: expected the offline plan's --json document/);
            const notObject = await run(writeScratch("array.json", "[]"));
            assert.equal(notObject.code, EXIT.badInput);
            assert.match(notObject.stderr, /policy:check: The document is not a JSON object/);
        });

        it("an environment that is neither given nor derivable, or not an environment", async () => {
            const sandbox = readFileSync(PREVIEW, "utf8").replaceAll("urn:pulumi:prod::", "urn:pulumi:sandbox::");
            const file = writeScratch("sandbox.json", sandbox);
            const underivable = await run(file);
            assert.equal(underivable.code, EXIT.badInput);
            assert.match(underivable.stderr, /stack name in the URNs is 'sandbox', not dev, staging or prod\. Pass --env/);
            assert.equal((await run(file, "--env", "staging")).code, EXIT.mandatoryViolations);
            const wrong = await run(file, "--env", "qa");
            assert.equal(wrong.code, EXIT.badInput);
            assert.match(wrong.stderr, /--env must be one of dev, staging, prod/);
        });

        it("a policy config that names no policy, and bad arguments", async () => {
            const config = writeScratch("config.json", JSON.stringify({ all: "mandatory", "no-such-policy": "advisory" }));
            const result = await run(PLAN, "--config", config);
            assert.equal(result.code, EXIT.badInput);
            assert.match(result.stderr, /no-such-policy: no policy of that name/);
            assert.equal((await run()).code, EXIT.badInput);
            assert.equal((await run(PLAN, "--verbose")).code, EXIT.badInput);
        });

        it("--config replaces the environment's file, as in CI", async () => {
            const config = writeScratch("strict.json", JSON.stringify({ all: "mandatory" }));
            assert.equal((await run(PLAN, "--config", config)).code, EXIT.mandatoryViolations);
        });
    });

    describe("as the npm script runs it", () => {
        const script = (...args: string[]) =>
            spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "offline", "policy-check.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });

        it("exits 1 with a JSON report on mandatory violations", function () {
            this.timeout(60_000);
            const result = script(PREVIEW, "--json");
            assert.equal(result.status, 1, result.stderr);
            const report = JSON.parse(result.stdout) as JsonReport;
            assert.equal(report.summary.mandatory, 3);
        });

        it("exits 2 with its message on stderr for bad input", function () {
            this.timeout(60_000);
            const bad = script(writeScratch("unknown.json", "[]"));
            assert.equal(bad.status, 2);
            assert.match(bad.stderr, /policy:check: The document is not a JSON object/);
        });

        // The wrapper passes runCheck's code straight to process.exitCode: the spawns above show
        // that wiring and the stdout/stderr routing, the in-process tests cover each code (0 on
        // a clean plan included), and this pins their numbers.
        it("uses the documented exit codes: 0 clean, 1 mandatory violations, 2 bad input", () => {
            assert.deepEqual([EXIT.ok, EXIT.mandatoryViolations, EXIT.badInput], [0, 1, 2]);
        });
    });
});
