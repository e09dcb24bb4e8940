import * as assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { asPlanDocument } from "../../offline/plan-diff";
import { PROJECT_ROOT } from "../harness";
import { copyProgram, editFile } from "../support/project-copy";

describe("the CI gate (npm run gate)", function () {
    this.timeout(240_000);
    let dir: string;
    let out: string;
    let run: SpawnSyncReturns<string>;

    // The head is this program with a change that breaks a mandatory prod policy; the base is
    // this checkout. Run as the workflow runs it: its own process, the npm script's command.
    before(() => {
        dir = mkdtempSync(path.join(tmpdir(), "amlmesh-gate-"));
        const head = copyProgram(path.join(dir, "head"));
        editFile(head, "stacks/Pulumi.prod.yaml", "authorizer: { replicas: 3, ", 'authorizer: { replicas: 3, image: "docker.io/contoso/edge-authorizer@sha256:1111111111111111111111111111111111111111111111111111111111111111", ');
        out = path.join(dir, "out");
        run = spawnSync(process.execPath, ["--import", "tsx", "offline/ci-gate.ts", "--skip-tests", "--out", out, "--base", PROJECT_ROOT], {
            cwd: head,
            encoding: "utf8",
            env: { ...process.env, GITHUB_STEP_SUMMARY: path.join(dir, "step-summary.md") },
            maxBuffer: 64 * 1024 * 1024,
        });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("fails on a mandatory violation in any stack, and says which", () => {
        assert.equal(run.status, 1, run.stderr);
        assert.match(run.stdout, /^dev: ✅ pass\nstaging: ✅ pass\nprod: ❌ 2 mandatory\ngate: FAILED \(tests skipped\)/m);
    });

    it("keeps every stack's plan as JSON and Markdown, and the base plans", () => {
        for (const stack of ["dev", "staging", "prod"]) {
            const document = asPlanDocument(JSON.parse(readFileSync(path.join(out, `plan-${stack}.json`), "utf8")), stack);
            assert.equal(document.stack, stack);
            assert.match(readFileSync(path.join(out, `plan-${stack}.md`), "utf8"), /```mermaid\nflowchart LR/);
            assert.ok(existsSync(path.join(out, "base", `plan-${stack}.json`)));
        }
    });

    it("diffs base and head: the changed input and the new violation in prod, nothing in dev", () => {
        const prod = readFileSync(path.join(out, "diff-prod.md"), "utf8");
        assert.match(prod, /`spec\.template\.spec\.containers\[0\]\.image` \| `"[\w.]+\.azurecr\.io\/edge-authorizer@sha256:0{64}"` \| `"docker\.io\/contoso\/edge-authorizer@sha256:1{64}"`/);
        assert.match(prod, /\*\*new\*\* `workload-image-registry-allowed` \| mandatory\/high/);
        assert.match(readFileSync(path.join(out, "diff-dev.md"), "utf8"), /No changes\./);
    });

    it("writes the summary and appends it to the job summary", () => {
        const summary = readFileSync(path.join(out, "summary.md"), "utf8");
        assert.equal(readFileSync(path.join(dir, "step-summary.md"), "utf8"), summary);
        assert.match(summary, /^# amlmesh gate: ❌ failed/);
        assert.match(summary, /\| `prod` \| prod \| \d+ \| ❌ 2 mandatory \| \d+ \| \+0 −0 ~2; 2 new, 0 cleared violation\(s\) \|/);
        assert.match(summary, /\| `dev` \| dev \| \d+ \| ✅ pass \| \d+ \| \+0 −0 ~0; 0 new, 0 cleared violation\(s\) \|/);
        assert.doesNotMatch(summary, /PRIVATE KEY-----/);
    });
});
