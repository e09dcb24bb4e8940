/**
 * Turns an evaluation into the printable plan: the JSON document (`--json`) and the readable
 * summary. Secrets are masked in both; nothing here sees a plaintext secret after masking.
 */
import type { Environment, PlanDocument, PlanDocumentResource } from "./document";
import type { Evaluation } from "./engine";
import { maskWire } from "./wire";

export function toPlanDocument(
    evaluation: Evaluation,
    meta: { project: string; stack: string; environment: Environment },
    policy: PlanDocument["policy"],
): PlanDocument {
    const resources: PlanDocumentResource[] = evaluation.resources.map((resource) => ({
        urn: resource.urn,
        type: resource.type,
        name: resource.name,
        custom: resource.custom,
        parent: resource.parent ?? null,
        dependencies: resource.dependencies,
        propertyDependencies: resource.propertyDependencies,
        inputs: maskWire(resource.inputs) as Record<string, unknown>,
    }));
    return {
        documentVersion: 1,
        kind: "amlmesh-offline-plan",
        project: meta.project,
        stack: meta.stack,
        environment: meta.environment,
        resources,
        outputs: maskWire(evaluation.outputs) as Record<string, unknown>,
        policy,
    };
}

/** The component (or the stack) a resource belongs to: its nearest non-custom ancestor. */
function owningComponent(document: PlanDocument, byUrn: Map<string, PlanDocumentResource>, resource: PlanDocumentResource): PlanDocumentResource | undefined {
    let parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    while (parent && parent.custom) parent = parent.parent ? byUrn.get(parent.parent) : undefined;
    return parent ?? (document.resources[0] === resource ? undefined : document.resources[0]);
}

function countBy<T>(items: T[], key: (item: T) => string): [string, number][] {
    const counts = new Map<string, number>();
    for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function renderValue(value: unknown, indent: string): string[] {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        return Object.entries(value).flatMap(([key, inner]) =>
            inner !== null && typeof inner === "object" && !Array.isArray(inner)
                ? [`${indent}${key}:`, ...renderValue(inner, indent + "  ")]
                : [`${indent}${key}: ${JSON.stringify(inner)}`],
        );
    }
    return [`${indent}${JSON.stringify(value)}`];
}

/** The readable summary: what would be created, grouped by component and type, then verdicts. */
export function renderPlanSummary(document: PlanDocument): string {
    const byUrn = new Map(document.resources.map((resource) => [resource.urn, resource]));
    const custom = document.resources.filter((resource) => resource.custom);
    const components = document.resources.filter((resource) => !resource.custom && resource.type !== "pulumi:pulumi:Stack");
    const lines: string[] = [];
    lines.push(`Offline plan of stack '${document.stack}' (environment ${document.environment}, project ${document.project})`);
    lines.push(`  ${custom.length} resources to create in ${components.length} components; no cloud was contacted.`);
    lines.push("");

    lines.push("Resources by component:");
    const byComponent = new Map<string, PlanDocumentResource[]>();
    for (const resource of custom) {
        const owner = owningComponent(document, byUrn, resource);
        const label = owner && owner.type !== "pulumi:pulumi:Stack" ? `${owner.type} ${owner.name}` : "(stack)";
        const members = byComponent.get(label);
        if (members) members.push(resource);
        else byComponent.set(label, [resource]);
    }
    for (const [label, members] of [...byComponent.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
        const types = countBy(members, (resource) => resource.type.replace(/^[^:]+:/, ""))
            .map(([type, count]) => (count > 1 ? `${count}× ${type}` : type))
            .join(", ");
        lines.push(`  ${label}  (${members.length})`);
        lines.push(`      ${types}`);
    }
    lines.push("");

    lines.push("Resources by type:");
    for (const [type, count] of countBy(custom, (resource) => resource.type)) lines.push(`  ${String(count).padStart(4)}  ${type}`);
    lines.push("");

    lines.push("Stack outputs:");
    lines.push(...renderValue(document.outputs, "  "));
    lines.push("");

    const { violations } = document.policy;
    const mandatory = violations.filter((violation) => violation.level === "mandatory");
    lines.push(
        `Policy pack ${document.policy.pack}@${document.policy.version}: ${mandatory.length} mandatory, ${violations.length - mandatory.length} advisory violation(s).`,
    );
    for (const violation of [...violations].sort((a, b) => (a.level === b.level ? a.policy.localeCompare(b.policy) : a.level === "mandatory" ? -1 : 1))) {
        lines.push(`  [${violation.level}/${violation.severity}] ${violation.policy}`);
        lines.push(`      ${violation.urn}`);
        lines.push(`      ${violation.message.replace(/\n/g, "\n      ")}`);
    }
    return lines.join("\n");
}
