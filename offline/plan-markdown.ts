/**
 * The plan's Markdown form (`npm run plan -- --markdown`), for a job summary or a pull-request
 * comment: the policy verdicts first, then the identity thread as a Mermaid diagram, then what
 * would be created by component. It reads only the plan document, whose secrets are masked.
 */
import type { PlanDocument, PlanDocumentResource } from "./document";
import { buildIdentityGraph, toMermaid } from "./identity-graph";
import { componentLabel } from "./plan-diff";

function cell(text: string): string {
    return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

export function mandatoryViolations(document: PlanDocument) {
    return document.policy.violations.filter((violation) => violation.level === "mandatory");
}

export function renderPlanMarkdown(document: PlanDocument): string {
    const custom = document.resources.filter((resource) => resource.custom);
    const mandatory = mandatoryViolations(document);
    const verdict = mandatory.length > 0 ? `❌ ${mandatory.length} mandatory violation(s): a deployment would be refused` : "✅ no mandatory violation";
    const lines = [
        `## Offline plan of stack \`${document.stack}\` (${document.environment})`,
        "",
        `${custom.length} resources; policy pack \`${document.policy.pack}@${document.policy.version}\`: ${verdict}, ${document.policy.violations.length - mandatory.length} advisory.`,
        "",
    ];

    if (document.policy.violations.length > 0) {
        lines.push("| Level | Policy | Resource | Message |", "| --- | --- | --- | --- |");
        const ordered = [...document.policy.violations].sort((a, b) => (a.level === b.level ? a.policy.localeCompare(b.policy) : a.level === "mandatory" ? -1 : 1));
        for (const violation of ordered) {
            const resource = violation.urn.split("::").pop() ?? violation.urn;
            lines.push(`| ${violation.level}/${violation.severity} | \`${violation.policy}\` | \`${cell(resource)}\` | ${cell(violation.message.split("\n")[0])} |`);
        }
        lines.push("");
    }

    lines.push("### Who may call what", "", "```mermaid", toMermaid(buildIdentityGraph(document)), "```", "");

    const byUrn = new Map(document.resources.map((resource) => [resource.urn, resource]));
    const groups = new Map<string, PlanDocumentResource[]>();
    for (const resource of custom) {
        const label = componentLabel(resource, byUrn);
        groups.set(label, [...(groups.get(label) ?? []), resource]);
    }
    lines.push("<details><summary>Resources by component</summary>", "", "| Component | Resources |", "| --- | --- |");
    for (const [label, members] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
        const counts = new Map<string, number>();
        for (const member of members) counts.set(member.type, (counts.get(member.type) ?? 0) + 1);
        const types = [...counts.entries()].map(([type, count]) => `${count > 1 ? `${count}× ` : ""}\`${type}\``).join(", ");
        lines.push(`| \`${cell(label)}\` | ${types} |`);
    }
    lines.push("", "</details>");
    return lines.join("\n");
}
