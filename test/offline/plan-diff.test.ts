import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { SECRET_MASK, type PlanDocument } from "../../offline/document";
import { planStack } from "../../offline/plan";
import { asPlanDocument, diffPlans, diffValues, renderDiffMarkdown, renderDiffText, runPlanDiff, type PlanDiff } from "../../offline/plan-diff";
import { PROJECT_ROOT } from "../harness";
import { copyProgram, editFile } from "../support/project-copy";

/** The offline plan document of a stack, from the shipped stack files or an edited copy. */
async function planDocument(stack: string, configDir?: string): Promise<PlanDocument> {
    const result = await planStack({ stack, json: true, configDir });
    assert.ok(result.stdout, `plan of ${stack} printed nothing: ${result.stderr}`);
    return asPlanDocument(JSON.parse(result.stdout), stack);
}

/** A copy of the shipped stack files with one stack file edited through the YAML document. */
function editedStacks(dir: string, stack: string, edit: (config: ReturnType<typeof parseDocument>) => void): string {
    cpSync(path.join(PROJECT_ROOT, "stacks"), dir, { recursive: true });
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    const document = parseDocument(readFileSync(file, "utf8"));
    edit(document);
    writeFileSync(file, document.toString());
    return dir;
}

const modifiedKeys = (diff: PlanDiff) => diff.components.flatMap((component) => component.modified.map((resource) => `${component.component} → ${resource.type} ${resource.name}`));

describe("plan diff (npm run plan:diff)", function () {
    this.timeout(120_000);
    let dir: string;
    let prod: PlanDocument;
    before(async () => {
        prod = await planDocument("prod");
    });
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "amlmesh-diff-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("finds nothing between two plans of the same commit", async () => {
        const diff = diffPlans(prod, await planDocument("prod"));
        assert.deepEqual(diff.counts, { added: 0, removed: 0, modified: 0, unchanged: prod.resources.filter((r) => r.custom).length });
        assert.match(renderDiffMarkdown(diff), /No changes\./);
    });

    it("shows a changed config value as the changed inputs of exactly the resources it affects", async () => {
        const head = await planDocument(
            "prod",
            editedStacks(dir, "prod", (document) => {
                const routes = document.getIn(["config", "amlmesh:routes"]) as { items: unknown[] };
                const churn = routes.items.findIndex((item) => (item as { get(key: string): unknown }).get("name") === "churn-scoring");
                document.setIn(["config", "amlmesh:routes", churn, "rateLimit", "requestsPerSecond"], 250);
            }),
        );
        const diff = diffPlans(prod, head);
        assert.deepEqual(modifiedKeys(diff), ["amlmesh:edge:ProtectedRoute churn-scoring → kubernetes:k8s.nginx.org/v1:Policy churn-scoring-rate-limit"]);
        assert.deepEqual(diff.components[0].modified[0].changes, [{ path: "spec.rateLimit.rate", before: "200r/s", after: "250r/s" }]);
        assert.equal(diff.counts.added + diff.counts.removed, 0);
        assert.deepEqual(diff.violations, { added: [], cleared: [] });

        const text = renderDiffText(diff);
        assert.match(text, /amlmesh:edge:ProtectedRoute churn-scoring:\n {2}~ kubernetes:k8s\.nginx\.org\/v1:Policy churn-scoring-rate-limit\n {6}spec\.rateLimit\.rate: "200r\/s" → "250r\/s"/);
        const markdown = renderDiffMarkdown(diff);
        assert.match(markdown, /<summary><code>amlmesh:edge:ProtectedRoute churn-scoring<\/code>: \+0 −0 ~1<\/summary>/);
        assert.match(markdown, /\| ~ \| `kubernetes:k8s\.nginx\.org\/v1:Policy` churn-scoring-rate-limit \| `spec\.rateLimit\.rate` \| `"200r\/s"` \| `"250r\/s"` \|/);
    });

    it("shows a new route as added resources grouped under their new components, and the outputs it changes", async () => {
        const head = await planDocument(
            "prod",
            editedStacks(dir, "prod", (document) => {
                const routes = document.getIn(["config", "amlmesh:routes"]) as { add(value: unknown): void };
                routes.add(
                    document.createNode({
                        name: "fraud-scoring",
                        path: "/models/fraud",
                        backend: { namespace: "models", service: "fraud-scorer", port: 8080, serviceAccount: "fraud-scorer" },
                        roles: ["Model.Invoke"],
                    }),
                );
            }),
        );
        const diff = diffPlans(prod, head);
        const added = diff.components.filter((component) => component.added.length > 0).map((component) => component.component);
        assert.ok(added.includes("amlmesh:edge:ProtectedRoute fraud-scoring"), added.join(", "));
        const route = diff.components.find((component) => component.component === "amlmesh:edge:ProtectedRoute fraud-scoring")!;
        assert.deepEqual(route.added.map((resource) => resource.type).sort(), [
            "kubernetes:k8s.nginx.org/v1:Policy",
            "kubernetes:k8s.nginx.org/v1:Policy",
            "kubernetes:k8s.nginx.org/v1:VirtualServerRoute",
        ]);
        const routeResource = route.added.find((resource) => resource.type === "kubernetes:k8s.nginx.org/v1:VirtualServerRoute")!;
        const spec = routeResource.changes.find((change) => change.path === "spec");
        assert.equal((spec?.after as { subroutes: { path: string }[] }).subroutes[0].path, "/models/fraud", "an added resource shows its inputs");
        assert.equal(diff.counts.removed, 0);
        assert.ok(diff.outputs.some((change) => change.path.startsWith("edge.routes") && JSON.stringify(change.after).includes("fraud-scoring")), JSON.stringify(diff.outputs));
    });

    it("shows a component change (program code) as modified inputs in every component instance", () => {
        // The program, copied with one line of a component changed, planned in its own process.
        editFile(copyProgram(dir), "team-sdk/src/kit/edge/protected-route.ts", "keepalive: 32,", "keepalive: 64,");
        const run = spawnSync(process.execPath, ["--import", "tsx", "offline/plan.ts", "--stack", "prod", "--json"], { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        assert.equal(run.status, 0, run.stderr);

        const diff = diffPlans(prod, asPlanDocument(JSON.parse(run.stdout), "modified program"));
        const routes = prod.resources.filter((resource) => resource.type === "kubernetes:k8s.nginx.org/v1:VirtualServerRoute");
        assert.equal(diff.counts.modified, routes.length);
        for (const component of diff.components) {
            assert.match(component.component, /^amlmesh:edge:ProtectedRoute /);
            assert.deepEqual(component.modified[0].changes, [{ path: "spec.upstreams[0].keepalive", before: 32, after: 64 }]);
        }
    });

    it("reports a new mandatory violation as new, and its removal as cleared", async () => {
        const head = await planDocument(
            "prod",
            editedStacks(dir, "prod", (document) => document.setIn(["config", "amlmesh:edge", "authorizer", "image"], "docker.io/contoso/edge-authorizer@sha256:1111111111111111111111111111111111111111111111111111111111111111")),
        );
        const diff = diffPlans(prod, head);
        // The authorizer and the Azure ML token swap run the same image: one violation each.
        assert.deepEqual(
            diff.violations.added.map((violation) => `${violation.level} ${violation.policy} ${violation.urn.split("::").pop()}`).sort(),
            ["mandatory workload-image-registry-allowed aml-token-swap", "mandatory workload-image-registry-allowed edge-authorizer"],
        );
        assert.match(renderDiffText(diff), /new {5}\[mandatory\/high\] workload-image-registry-allowed on amlmesh:edge:EdgeAuthorizer\$kubernetes:apps\/v1:Deployment::edge-authorizer/);
        assert.match(renderDiffMarkdown(diff), /\| \*\*new\*\* `workload-image-registry-allowed` \| mandatory\/high \|/);

        const back = diffPlans(head, prod);
        assert.deepEqual(back.violations.cleared.map((violation) => violation.policy), ["workload-image-registry-allowed", "workload-image-registry-allowed"]);
        assert.deepEqual(back.violations.added, []);
    });

    it("never prints a secret: masked values stay masked, and a value that looks like a key is masked too", () => {
        const key = ["-----BEGIN", "EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END", "EC PRIVATE KEY-----"].join(" ");
        const changes = diffValues({ data: { "tls.key": SECRET_MASK, note: "a" } }, { data: { "tls.key": key, note: "b" } });
        assert.deepEqual(changes, [
            { path: "data.note", before: "a", after: "b" },
            { path: "data.tls.key", before: SECRET_MASK, after: SECRET_MASK },
        ]);
    });

    describe("the command", () => {
        it("prints the Markdown form of two plan files, and refuses what is not a plan document", () => {
            const base = path.join(dir, "base.json");
            writeFileSync(base, JSON.stringify(prod));
            const out: string[] = [];
            const err: string[] = [];
            assert.equal(runPlanDiff([base, base, "--markdown"], (text) => out.push(text), (text) => err.push(text)), 0);
            assert.match(out.join(""), /^### Plan diff of stack 'prod': 0 to add/);

            const other = path.join(dir, "preview.json");
            writeFileSync(other, JSON.stringify({ steps: [] }));
            assert.equal(runPlanDiff([base, other], (text) => out.push(text), (text) => err.push(text)), 1);
            assert.match(err.join(""), /preview\.json: not an offline plan document/);
            assert.equal(runPlanDiff([base], (text) => out.push(text), (text) => err.push(text)), 2);
        });
    });
});
