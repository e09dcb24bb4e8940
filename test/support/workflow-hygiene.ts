/**
 * The supply-chain and least-privilege rules for the GitHub workflows and local actions, as a
 * checker that returns the problems it finds, so tests can show it passes the shipped files and
 * catches each kind of mistake.
 */
import { parse } from "yaml";

type Map = Record<string, unknown>;
const isMap = (value: unknown): value is Map => typeof value === "object" && value !== null && !Array.isArray(value);
const asMap = (value: unknown): Map => (isMap(value) ? value : {});
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** `owner/repo[/path]@<40 hex> # v1.2.3`: a third-party action pinned by commit, version in a comment. */
const PINNED_USES = /^\s*-?\s*uses:\s*([A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+)@([0-9a-f]{40})\s+#\s*(v\d+\.\d+\.\d+)\s*$/;

/** Permissions a job may ask for, and the only values allowed. */
const ALLOWED_PERMISSIONS: Record<string, string> = { contents: "read", "id-token": "write" };

export interface UsesPin {
    action: string;
    sha: string;
    version: string;
    file: string;
}

/** Every `uses:` line that names a third-party action, with its pin. */
export function usesPins(text: string, file: string): { pins: UsesPin[]; problems: string[] } {
    const pins: UsesPin[] = [];
    const problems: string[] = [];
    text.split("\n").forEach((line, index) => {
        const uses = /^\s*-?\s*uses:\s*(\S+)/.exec(line);
        if (!uses || uses[1].startsWith("./")) return;
        const pinned = PINNED_USES.exec(line);
        if (!pinned) problems.push(`${file}:${index + 1}: ${uses[1]} is not pinned by a full commit SHA with its version in a comment`);
        else pins.push({ action: pinned[1], sha: pinned[2], version: pinned[3], file });
    });
    return { pins, problems };
}

/** Steps of a workflow job or a composite action. */
function stepsOf(holder: Map): Map[] {
    return asList(holder.steps).map(asMap);
}

/** Problems common to workflow steps and composite-action steps. */
function stepProblems(steps: Map[], where: string): string[] {
    const problems: string[] = [];
    for (const [index, step] of steps.entries()) {
        const at = `${where} step ${index + 1}`;
        const run = typeof step.run === "string" ? step.run : "";
        // Expressions expanded into a script are the classic injection and secret-leak path; pass values through env.
        if (run.includes("${{")) problems.push(`${at}: an expression inside run; pass it through env`);
        if (typeof step.uses === "string" && step.uses.startsWith("actions/checkout@") && asMap(step.with)["persist-credentials"] !== false) {
            problems.push(`${at}: checkout must set persist-credentials: false`);
        }
        for (const value of Object.values(asMap(step.with))) {
            if (typeof value === "string" && /secrets\./.test(value)) problems.push(`${at}: passes a repository secret`);
        }
        if (typeof step.uses === "string" && /^azure\/login@/i.test(step.uses) && "creds" in asMap(step.with)) problems.push(`${at}: Azure login with a stored credential`);
    }
    return problems;
}

/** Problems in one workflow file. */
export function workflowProblems(text: string, file: string): string[] {
    const problems = [...usesPins(text, file).problems];
    if (/\$\{\{\s*secrets\./.test(text)) problems.push(`${file}: reads a repository secret; use OIDC federation and environment variables`);
    if (/client-secret|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET/.test(text)) problems.push(`${file}: names a client secret`);

    const workflow = asMap(parse(text));
    const triggers = typeof workflow.on === "string" ? [workflow.on] : Array.isArray(workflow.on) ? workflow.on.map(String) : Object.keys(asMap(workflow.on));
    for (const trigger of ["pull_request_target", "workflow_run"]) {
        if (triggers.includes(trigger)) problems.push(`${file}: triggered by ${trigger}, which runs with the base repository's privileges`);
    }
    if (!isMap(workflow.permissions) || Object.keys(workflow.permissions).length > 0) problems.push(`${file}: top-level permissions must be {} (each job asks for its own)`);

    for (const [name, raw] of Object.entries(asMap(workflow.jobs))) {
        const job = asMap(raw);
        const where = `${file} job ${name}`;
        if (!isMap(job.permissions)) {
            problems.push(`${where}: no permissions block`);
        } else {
            for (const [scope, level] of Object.entries(job.permissions)) {
                if (ALLOWED_PERMISSIONS[scope] !== level) problems.push(`${where}: permission ${scope}: ${String(level)} is not allowed`);
            }
        }
        const hasIdToken = asMap(job.permissions)["id-token"] === "write";
        const runsOn = asList(job["runs-on"]).map(String);
        if (hasIdToken && !(typeof job.environment === "string" && runsOn[0] === "self-hosted")) {
            problems.push(`${where}: id-token: write outside an environment's self-hosted runner`);
        }
        if (typeof job.uses === "string" && !job.uses.startsWith("./")) problems.push(`${where}: calls a workflow from another repository`);

        const steps = stepsOf(job);
        problems.push(...stepProblems(steps, where));
        const runs = steps.map((step) => (typeof step.run === "string" ? step.run : "")).join("\n");
        if (/\bpulumi (up|preview|refresh)\b/.test(runs) && !hasIdToken) problems.push(`${where}: runs Pulumi against Azure without OIDC (id-token: write)`);
        if (/\bpulumi (up|preview)\b/.test(runs) && !/--policy-pack \.\/policy --policy-pack-config "?\.\/policy\/config\/(\$STACK|[a-z]+)\.json/.test(runs)) {
            problems.push(`${where}: pulumi up/preview without the policy pack and the environment's policy config`);
        }
        if (/\bpulumi up\b/.test(runs)) {
            const concurrency = asMap(job.concurrency);
            if (typeof concurrency.group !== "string" || !/^pulumi-/.test(concurrency.group) || concurrency["cancel-in-progress"] !== false) {
                problems.push(`${where}: pulumi up without a per-stack concurrency group (pulumi-<stack>, cancel-in-progress: false)`);
            }
        }
    }
    return problems;
}

/** Problems in a local composite action. */
export function actionProblems(text: string, file: string): string[] {
    const problems = [...usesPins(text, file).problems];
    if (/\$\{\{\s*secrets\./.test(text)) problems.push(`${file}: reads a repository secret`);
    const action = asMap(parse(text));
    problems.push(...stepProblems(stepsOf(asMap(action.runs)), file));
    return problems;
}
