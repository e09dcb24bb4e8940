/**
 * Compares two offline plan documents (`npm run plan -- --json`): which resources a change adds,
 * removes and modifies, grouped by the component that owns them, with changed inputs key by key,
 * changed stack outputs, and the policy violations it introduces or clears.
 *
 * Reviewers get what a change does to every environment without cloud access (a fork's pull
 * request cannot run `pulumi preview`). Values are printed as the plan documents hold them
 * (secrets already masked); as a second guard, any value that still looks like a secret is masked.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { secretKind } from "../policy/lib/secret-patterns";
import { SECRET_MASK, type PlanDocument, type PlanDocumentResource, type PolicyViolation } from "./document";
import { isObject } from "./wire";

/** One input (or output) that differs, addressed by its path (`spec.subroutes[0].path`). */
export interface ValueChange {
    path: string;
    /** Absent when the key is new. */
    before?: unknown;
    /** Absent when the key was removed. */
    after?: unknown;
}

export interface ResourceChange {
    /** URN without the `urn:pulumi:<stack>::<project>::` prefix, so two stacks can be compared too. */
    key: string;
    type: string;
    name: string;
    /** Modified resources: the changed inputs; added resources: their top-level inputs; removed: none. */
    changes: ValueChange[];
}

export interface ComponentChanges {
    /** `<component type> <name>`, or `(stack)` for resources directly under the stack. */
    component: string;
    added: ResourceChange[];
    removed: ResourceChange[];
    modified: ResourceChange[];
}

export interface PlanDiff {
    base: { stack: string; environment: string };
    head: { stack: string; environment: string };
    components: ComponentChanges[];
    outputs: ValueChange[];
    violations: { added: PolicyViolation[]; cleared: PolicyViolation[] };
    counts: { added: number; removed: number; modified: number; unchanged: number };
}

export class PlanDocumentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PlanDocumentError";
    }
}

/** Checks that a parsed JSON value is an offline plan document (fails closed on anything else). */
export function asPlanDocument(value: unknown, where: string): PlanDocument {
    if (!isObject(value) || value.kind !== "amlmesh-offline-plan") {
        throw new PlanDocumentError(`${where}: not an offline plan document (expected "kind": "amlmesh-offline-plan"; run \`npm run plan -- --json\`)`);
    }
    if (value.documentVersion !== 1) throw new PlanDocumentError(`${where}: plan document version ${String(value.documentVersion)} is not supported (expected 1)`);
    if (!Array.isArray(value.resources) || !isObject(value.policy) || !Array.isArray(value.policy.violations)) {
        throw new PlanDocumentError(`${where}: plan document has no resources or policy verdicts`);
    }
    return value as unknown as PlanDocument;
}

/** The URN without stack and project, so that the same resource matches across stacks. */
export function resourceKey(urn: string): string {
    const match = /^urn:pulumi:[^:]+::[^:]+::(.*)$/.exec(urn);
    return match ? match[1] : urn;
}

/** The label of the component a resource belongs to: its nearest non-custom ancestor. */
export function componentLabel(resource: PlanDocumentResource, byUrn: Map<string, PlanDocumentResource>): string {
    let parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    while (parent && parent.custom) parent = parent.parent ? byUrn.get(parent.parent) : undefined;
    return parent && parent.type !== "pulumi:pulumi:Stack" ? `${parent.type} ${parent.name}` : "(stack)";
}

/** Masks anything that still looks like a secret (a plan document should have none left). */
function guard(key: string, value: unknown): unknown {
    if (typeof value === "string") return secretKind(key, value) ? SECRET_MASK : value;
    if (Array.isArray(value)) return value.map((inner) => guard(key, inner));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([inner, v]) => [inner, guard(inner, v)]));
    return value;
}

function lastKey(path: string): string {
    return path.replace(/\[\d+\]$/, "").split(".").pop() ?? path;
}

/** Leaf-level differences between two JSON values; objects and arrays are walked. */
export function diffValues(before: unknown, after: unknown, path = ""): ValueChange[] {
    if (isObject(before) && isObject(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.flatMap((key) => {
            const inner = path ? `${path}.${key}` : key;
            if (!(key in after)) return [{ path: inner, before: guard(key, before[key]) }];
            if (!(key in before)) return [{ path: inner, after: guard(key, after[key]) }];
            return diffValues(before[key], after[key], inner);
        });
    }
    if (Array.isArray(before) && Array.isArray(after)) {
        const changes: ValueChange[] = [];
        for (let i = 0; i < Math.max(before.length, after.length); i++) {
            const inner = `${path}[${i}]`;
            if (i >= after.length) changes.push({ path: inner, before: guard(lastKey(path), before[i]) });
            else if (i >= before.length) changes.push({ path: inner, after: guard(lastKey(path), after[i]) });
            else changes.push(...diffValues(before[i], after[i], inner));
        }
        return changes;
    }
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    const key = lastKey(path);
    return [{ path, before: guard(key, before), after: guard(key, after) }];
}

function violationKey(violation: PolicyViolation): string {
    return `${violation.policy}|${violation.level}|${resourceKey(violation.urn)}`;
}

export function diffPlans(base: PlanDocument, head: PlanDocument): PlanDiff {
    const baseByUrn = new Map(base.resources.map((resource) => [resource.urn, resource]));
    const headByUrn = new Map(head.resources.map((resource) => [resource.urn, resource]));
    const baseByKey = new Map(base.resources.filter((r) => r.custom).map((resource) => [resourceKey(resource.urn), resource]));
    const headByKey = new Map(head.resources.filter((r) => r.custom).map((resource) => [resourceKey(resource.urn), resource]));

    const groups = new Map<string, ComponentChanges>();
    const group = (label: string): ComponentChanges => {
        let found = groups.get(label);
        if (!found) groups.set(label, (found = { component: label, added: [], removed: [], modified: [] }));
        return found;
    };
    const counts = { added: 0, removed: 0, modified: 0, unchanged: 0 };

    for (const [key, resource] of headByKey) {
        const before = baseByKey.get(key);
        if (!before) {
            // A reviewer wants to see what a new resource says (a federated credential's subject, a role's scope).
            group(componentLabel(resource, headByUrn)).added.push({ key, type: resource.type, name: resource.name, changes: diffValues({}, resource.inputs) });
            counts.added++;
            continue;
        }
        const changes = diffValues(before.inputs, resource.inputs);
        if (changes.length === 0) {
            counts.unchanged++;
            continue;
        }
        group(componentLabel(resource, headByUrn)).modified.push({ key, type: resource.type, name: resource.name, changes });
        counts.modified++;
    }
    for (const [key, resource] of baseByKey) {
        if (headByKey.has(key)) continue;
        group(componentLabel(resource, baseByUrn)).removed.push({ key, type: resource.type, name: resource.name, changes: [] });
        counts.removed++;
    }

    const baseViolations = new Set(base.policy.violations.map(violationKey));
    const headViolations = new Set(head.policy.violations.map(violationKey));
    return {
        base: { stack: base.stack, environment: base.environment },
        head: { stack: head.stack, environment: head.environment },
        components: [...groups.values()].sort((a, b) => a.component.localeCompare(b.component)),
        outputs: diffValues(base.outputs, head.outputs),
        violations: {
            added: head.policy.violations.filter((violation) => !baseViolations.has(violationKey(violation))),
            cleared: base.policy.violations.filter((violation) => !headViolations.has(violationKey(violation))),
        },
        counts,
    };
}

export function isEmptyDiff(diff: PlanDiff): boolean {
    const { added, removed, modified } = diff.counts;
    return added + removed + modified === 0 && diff.outputs.length === 0 && diff.violations.added.length === 0 && diff.violations.cleared.length === 0;
}

function show(value: unknown): string {
    return value === undefined ? "(absent)" : JSON.stringify(value);
}

function describeChange(change: ValueChange): string {
    if (!("before" in change)) return `${change.path}: + ${show(change.after)}`;
    if (!("after" in change)) return `${change.path}: - ${show(change.before)}`;
    return `${change.path}: ${show(change.before)} → ${show(change.after)}`;
}

function title(diff: PlanDiff): string {
    const { base, head } = diff;
    const which = base.stack === head.stack ? `stack '${head.stack}'` : `stack '${base.stack}' → '${head.stack}'`;
    const { added, removed, modified, unchanged } = diff.counts;
    return `Plan diff of ${which}: ${added} to add, ${removed} to remove, ${modified} to modify, ${unchanged} unchanged; ${diff.violations.added.length} new and ${diff.violations.cleared.length} cleared policy violation(s).`;
}

function describeViolation(violation: PolicyViolation): string {
    return `[${violation.level}/${violation.severity}] ${violation.policy} on ${resourceKey(violation.urn)}: ${violation.message.split("\n")[0]}`;
}

/** The plain-text form, for terminals and logs. */
export function renderDiffText(diff: PlanDiff): string {
    const lines = [title(diff)];
    for (const component of diff.components) {
        lines.push("", `${component.component}:`);
        for (const resource of component.added) {
            lines.push(`  + ${resource.type} ${resource.name}`);
            for (const change of resource.changes) lines.push(`      ${describeChange(change)}`);
        }
        for (const resource of component.removed) lines.push(`  - ${resource.type} ${resource.name}`);
        for (const resource of component.modified) {
            lines.push(`  ~ ${resource.type} ${resource.name}`);
            for (const change of resource.changes) lines.push(`      ${describeChange(change)}`);
        }
    }
    if (diff.outputs.length > 0) {
        lines.push("", "Stack outputs:");
        for (const change of diff.outputs) lines.push(`  ~ ${describeChange(change)}`);
    }
    if (diff.violations.added.length + diff.violations.cleared.length > 0) {
        lines.push("", "Policy violations:");
        for (const violation of diff.violations.added) lines.push(`  new     ${describeViolation(violation)}`);
        for (const violation of diff.violations.cleared) lines.push(`  cleared ${describeViolation(violation)}`);
    }
    return lines.join("\n");
}

/** Text for a Markdown table cell: no pipes or line breaks, code in backticks. */
function cell(text: string): string {
    return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function code(value: unknown): string {
    if (value === undefined) return "*(absent)*";
    const text = JSON.stringify(value);
    const shown = text.length > 200 ? `${text.slice(0, 197)}...` : text;
    return `\`${cell(shown).replace(/`/g, "'")}\``;
}

/**
 * The Markdown form, for the job summary or a pull-request comment. `maxChanges` bounds the
 * changed inputs listed (GitHub limits a job summary to 1 MiB); the count of the rest is printed.
 */
export function renderDiffMarkdown(diff: PlanDiff, options: { maxChanges?: number } = {}): string {
    const budget = { left: options.maxChanges ?? 400 };
    const lines = [`### ${title(diff)}`, ""];
    if (isEmptyDiff(diff)) return [...lines, "No changes."].join("\n");

    if (diff.violations.added.length + diff.violations.cleared.length > 0) {
        lines.push("| Policy violation | Level | Resource | Message |", "| --- | --- | --- | --- |");
        for (const [state, list] of [["**new**", diff.violations.added], ["cleared", diff.violations.cleared]] as const) {
            for (const violation of list) {
                lines.push(`| ${state} \`${violation.policy}\` | ${violation.level}/${violation.severity} | \`${cell(resourceKey(violation.urn))}\` | ${cell(violation.message.split("\n")[0])} |`);
            }
        }
        lines.push("");
    }

    for (const component of diff.components) {
        const { added, removed, modified } = component;
        lines.push(`<details><summary><code>${component.component}</code>: +${added.length} −${removed.length} ~${modified.length}</summary>`, "");
        lines.push("| | Resource | Input | Before | After |", "| --- | --- | --- | --- | --- |");
        for (const resource of added) {
            lines.push(`| + | \`${resource.type}\` ${cell(resource.name)} | | | |`);
            for (const change of resource.changes) {
                if (budget.left-- <= 0) continue;
                lines.push(`| | | \`${cell(change.path)}\` | | ${code(change.after)} |`);
            }
        }
        for (const resource of removed) lines.push(`| − | \`${resource.type}\` ${cell(resource.name)} | | | |`);
        for (const resource of modified) {
            for (const change of resource.changes) {
                if (budget.left-- <= 0) continue;
                lines.push(`| ~ | \`${resource.type}\` ${cell(resource.name)} | \`${cell(change.path)}\` | ${code(change.before)} | ${code(change.after)} |`);
            }
        }
        lines.push("", "</details>", "");
    }
    if (diff.outputs.length > 0) {
        lines.push("| Stack output | Before | After |", "| --- | --- | --- |");
        for (const change of diff.outputs) lines.push(`| \`${cell(change.path)}\` | ${code(change.before)} | ${code(change.after)} |`);
        lines.push("");
    }
    if (budget.left < 0) lines.push(`*${-budget.left} further changed input(s) are not shown; see the plan artifacts.*`, "");
    return lines.join("\n");
}

const USAGE = `usage: npm run plan:diff -- <base.json> <head.json> [--markdown]

Compares two offline plan documents (npm run plan -- --stack <name> --json > plan.json) and
prints what the head adds, removes and modifies, grouped by component, with changed inputs key
by key, changed stack outputs and new or cleared policy violations.
  --markdown   print Markdown (for a job summary or a pull-request comment)`;

function readPlan(file: string): PlanDocument {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        throw new PlanDocumentError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    try {
        return asPlanDocument(JSON.parse(text), file);
    } catch (error) {
        if (error instanceof PlanDocumentError) throw error;
        throw new PlanDocumentError(`${file}: not JSON (${(error as Error).message})`);
    }
}

/** Runs the command; returns the exit status (0 done, 1 unreadable document, 2 bad usage). */
export function runPlanDiff(argv: string[], out: (text: string) => void, err: (text: string) => void): number {
    const options = { markdown: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;
    let parsed;
    try {
        parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (error) {
        err(`${(error as Error).message}\n\n${USAGE}\n`);
        return 2;
    }
    if (parsed.values.help) {
        out(`${USAGE}\n`);
        return 0;
    }
    if (parsed.positionals.length !== 2) {
        err(`plan:diff: expected two plan documents, got ${parsed.positionals.length}\n\n${USAGE}\n`);
        return 2;
    }
    try {
        const diff = diffPlans(readPlan(parsed.positionals[0]), readPlan(parsed.positionals[1]));
        out(`${parsed.values.markdown ? renderDiffMarkdown(diff) : renderDiffText(diff)}\n`);
        return 0;
    } catch (error) {
        if (error instanceof PlanDocumentError) {
            err(`plan:diff: ${error.message}\n`);
            return 1;
        }
        throw error;
    }
}

if (require.main === module) {
    const chunks: string[] = [];
    const code = runPlanDiff(process.argv.slice(2), (text) => chunks.push(text), (text) => process.stderr.write(text));
    process.stdout.write(chunks.join(""), () => process.exit(code));
}
