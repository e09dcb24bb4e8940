/**
 * The example team project planned offline against the prod platform plan's outputs, the way
 * `npm run plan:team` chains the two plans.
 */
import * as assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { planTeamStack } from "../../offline/team-plan";
import { PROJECT_ROOT } from "../harness";
import { plannedStack } from "../infra/azure-stacks";

const EXAMPLE = path.join(PROJECT_ROOT, "examples", "fraud-scoring");

describe("team plan (examples/fraud-scoring against the prod platform plan)", () => {
    it("evaluates the team's program with the platform outputs as its stack reference, with 0 mandatory violations under the prod policy config", async () => {
        const outputs = (await plannedStack("prod")).outputs;
        const plan = await planTeamStack({ projectDir: EXAMPLE, stack: "prod", platformPlan: { outputs } });
        assert.deepEqual(plan.policy.violations.filter((v) => v.level === "mandatory"), []);
        assert.equal(plan.policy.environment, "prod");
        assert.ok(plan.resources.some((r) => r.type === "kubernetes:k8s.nginx.org/v1:VirtualServerRoute"));
        assert.deepEqual(plan.outputs, { namespace: "fraud-models", url: "https://ml.example.com/teams/fraud/score" });
        // The team rules ran on it (not skipped as not applicable).
        for (const rule of ["team-route-guarded", "team-route-within-prefix"]) assert.ok(!plan.policy.notApplicable.some((n) => n.policy === rule), rule);
    });

    it("refuses a project with a node_modules of its own (its Pulumi SDK would not be the mocked one)", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "team-plan-"));
        try {
            cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !source.includes("node_modules") });
            mkdirSync(path.join(dir, "node_modules", "@pulumi", "pulumi"), { recursive: true });
            writeFileSync(path.join(dir, "node_modules", "@pulumi", "pulumi", "package.json"), JSON.stringify({ name: "@pulumi/pulumi", version: "3.276.0" }));
            const outputs = (await plannedStack("prod")).outputs;
            await assert.rejects(planTeamStack({ projectDir: dir, stack: "prod", platformPlan: { outputs } }), /holds its own @pulumi\/pulumi, which the offline plan cannot mock/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("fails on a platform plan of another schema version, naming both", async () => {
        const outputs = { ...(await plannedStack("prod")).outputs, schemaVersion: 1 };
        await assert.rejects(planTeamStack({ projectDir: EXAMPLE, stack: "prod", platformPlan: { outputs } }), /schemaVersion 1, but this consumer understands schemaVersion 2/);
    });
});
