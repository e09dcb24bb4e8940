/**
 * `npm run gate -- [--out <dir>] [--base <dir>] [--skip-tests]`: the credential-free CI gate,
 * the same commands locally and in `.github/workflows/gate.yml`.
 *
 * 1. `npm test` (strict tsc and every spec), unless --skip-tests;
 * 2. the offline plan of every stack in stacks/ with its policy verdicts, kept as
 *    `<out>/plan-<stack>.json` and `<out>/plan-<stack>.md` (Markdown with the identity diagram);
 * 3. with --base (a checkout of the base commit, dependencies installed): the base's own plan of
 *    each stack and the diff between base and head, `<out>/diff-<stack>.md`;
 * 4. `<out>/summary.md`, also appended to $GITHUB_STEP_SUMMARY when that is set.
 *
 * Exit status: 0 when the tests pass and no stack has a mandatory violation or a failed plan,
 * 1 otherwise, 2 on bad usage. Nothing here needs or reads a cloud credential.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { PlanDocument } from "./document";
import { asPlanDocument, diffPlans, renderDiffMarkdown, renderDiffText, type PlanDiff } from "./plan-diff";
import { mandatoryViolations, renderPlanMarkdown } from "./plan-markdown";

const PROJECT_ROOT = path.resolve(__dirname, "..");

const USAGE = `usage: npm run gate -- [--out <dir>] [--base <dir>] [--skip-tests]

The credential-free CI gate: npm test, the offline plan of every stack with its policy verdicts,
the diff against a base checkout, and a Markdown summary. Exits 1 on a failed test, a failed plan
or a mandatory policy violation.
  --out <dir>     where plans, diffs and summary.md go (default gate-out)
  --base <dir>    a checkout of the base commit with its dependencies installed (npm ci)
  --skip-tests    skip npm test (for a quick local look at plans and diffs)`;

/** Environments in promotion order; other stack names follow alphabetically. */
const order = (stack: string) => {
    const index = ["dev", "staging", "prod"].indexOf(stack);
    return index < 0 ? 3 : index;
};

/** The stacks of a checkout: every `stacks/Pulumi.<name>.yaml`. */
export function stacksIn(root: string): string[] {
    const dir = path.join(root, "stacks");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
        .map((file) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort((a, b) => order(a) - order(b) || a.localeCompare(b));
}

export interface StackPlan {
    stack: string;
    /** Absent when the plan printed no document (a config error, a crash). */
    document?: PlanDocument;
    exitCode: number | null;
    stderr: string;
}

/** Runs a checkout's own offline plan in its own process (the SDK holds one stack per process). */
export function planIn(root: string, stack: string): StackPlan {
    const run = spawnSync(process.execPath, ["--import", "tsx", "offline/plan.ts", "--stack", stack, "--json"], {
        cwd: root,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
    let document: PlanDocument | undefined;
    try {
        document = run.stdout ? asPlanDocument(JSON.parse(run.stdout), `plan of ${stack}`) : undefined;
    } catch {
        document = undefined;
    }
    return { stack, document, exitCode: run.status, stderr: run.stderr ?? String(run.error ?? "") };
}

export interface GateStack {
    stack: string;
    head: StackPlan;
    base?: StackPlan;
    diff?: PlanDiff;
}

export interface GateResult {
    ok: boolean;
    tests: "passed" | "failed" | "skipped";
    stacks: GateStack[];
    summary: string;
}

function stackVerdict(stack: GateStack): string {
    const { document, exitCode } = stack.head;
    if (!document) return `❌ plan failed (exit ${exitCode})`;
    const mandatory = mandatoryViolations(document).length;
    return mandatory > 0 ? `❌ ${mandatory} mandatory` : "✅ pass";
}

function changeCell(stack: GateStack, hasBase: boolean): string {
    if (!hasBase) return "";
    if (!stack.diff) return stack.base?.document ? "" : "no base plan";
    const { added, removed, modified } = stack.diff.counts;
    const violations = stack.diff.violations;
    return `+${added} −${removed} ~${modified}; ${violations.added.length} new, ${violations.cleared.length} cleared violation(s)`;
}

/** The job summary: one table of verdicts, then per stack the diff and the plan (collapsed). */
export function renderGateSummary(result: Omit<GateResult, "summary">, hasBase: boolean): string {
    const lines = [
        `# amlmesh gate: ${result.ok ? "✅ passed" : "❌ failed"}`,
        "",
        `Tests: ${result.tests}. Offline plans ran without cloud credentials.`,
        "",
        `| Stack | Environment | Resources | Policy | Advisory |${hasBase ? " Change against base |" : ""}`,
        `| --- | --- | --- | --- | --- |${hasBase ? " --- |" : ""}`,
    ];
    for (const stack of result.stacks) {
        const document = stack.head.document;
        const resources = document ? document.resources.filter((resource) => resource.custom).length : "";
        const advisory = document ? document.policy.violations.length - mandatoryViolations(document).length : "";
        lines.push(`| \`${stack.stack}\` | ${document?.environment ?? ""} | ${resources} | ${stackVerdict(stack)} | ${advisory} |${hasBase ? ` ${changeCell(stack, hasBase)} |` : ""}`);
    }
    lines.push("");
    for (const stack of result.stacks) {
        if (!stack.head.document) {
            lines.push(`## \`${stack.stack}\`: the plan failed`, "", "```text", stack.head.stderr.trim().slice(0, 4000), "```", "");
            continue;
        }
        if (stack.diff) lines.push(`## Changes to \`${stack.stack}\``, "", renderDiffMarkdown(stack.diff, { maxChanges: 150 }), "");
        lines.push(`<details><summary>Plan of <code>${stack.stack}</code> with the identity diagram</summary>`, "", renderPlanMarkdown(stack.head.document), "", "</details>", "");
    }
    return lines.join("\n");
}

export function runGate(options: { out: string; base?: string; skipTests: boolean; root?: string }): GateResult {
    const root = options.root ?? PROJECT_ROOT;
    mkdirSync(options.out, { recursive: true });

    let tests: GateResult["tests"] = "skipped";
    if (!options.skipTests) {
        process.stderr.write("gate: npm test\n");
        const run = spawnSync("npm", ["test"], { cwd: root, stdio: "inherit" });
        tests = run.status === 0 ? "passed" : "failed";
    }

    const stacks: GateStack[] = [];
    for (const stack of stacksIn(root)) {
        process.stderr.write(`gate: offline plan of ${stack}\n`);
        const head = planIn(root, stack);
        const entry: GateStack = { stack, head };
        if (head.document) {
            writeFileSync(path.join(options.out, `plan-${stack}.json`), `${JSON.stringify(head.document, null, 2)}\n`);
            writeFileSync(path.join(options.out, `plan-${stack}.md`), `${renderPlanMarkdown(head.document)}\n`);
        }
        process.stderr.write(head.stderr);
        if (options.base && stacksIn(options.base).includes(stack)) {
            process.stderr.write(`gate: offline plan of ${stack} at the base\n`);
            entry.base = planIn(options.base, stack);
            if (entry.base.document) {
                mkdirSync(path.join(options.out, "base"), { recursive: true });
                writeFileSync(path.join(options.out, "base", `plan-${stack}.json`), `${JSON.stringify(entry.base.document, null, 2)}\n`);
                if (head.document) {
                    entry.diff = diffPlans(entry.base.document, head.document);
                    writeFileSync(path.join(options.out, `diff-${stack}.md`), `${renderDiffMarkdown(entry.diff)}\n`);
                    process.stdout.write(`${renderDiffText(entry.diff)}\n\n`);
                }
            }
        }
        stacks.push(entry);
    }

    const ok = tests !== "failed" && stacks.length > 0 && stacks.every((stack) => stack.head.document && stack.head.exitCode === 0 && mandatoryViolations(stack.head.document).length === 0);
    const summary = renderGateSummary({ ok, tests, stacks }, options.base !== undefined);
    writeFileSync(path.join(options.out, "summary.md"), `${summary}\n`);
    return { ok, tests, stacks, summary };
}

function main(argv: string[]): number {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: { out: { type: "string", default: "gate-out" }, base: { type: "string" }, "skip-tests": { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
            strict: true,
            allowPositionals: false,
        }));
    } catch (error) {
        process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    if (values.base && !existsSync(path.join(values.base, "offline", "plan.ts"))) {
        process.stderr.write(`gate: --base ${values.base} is not a checkout of this project (no offline/plan.ts)\n`);
        return 2;
    }
    const result = runGate({ out: path.resolve(values.out!), base: values.base ? path.resolve(values.base) : undefined, skipTests: values["skip-tests"]! });
    const stepSummary = process.env.GITHUB_STEP_SUMMARY;
    if (stepSummary) appendFileSync(stepSummary, `${result.summary}\n`);
    for (const stack of result.stacks) process.stdout.write(`${stack.stack}: ${stackVerdict(stack)}\n`);
    process.stdout.write(`gate: ${result.ok ? "passed" : "FAILED"} (tests ${result.tests}); summary in ${path.join(values.out!, "summary.md")}\n`);
    return result.ok ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
