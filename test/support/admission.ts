/**
 * Evaluates ValidatingAdmissionPolicies the way the API server does, for tests: the policies
 * and bindings are read from an evaluated stack, the CEL expressions run in @bufbuild/cel
 * (a conformance-tested CEL implementation). As with `failurePolicy: Fail`, an expression that
 * errors (a missing field, say) refuses the request.
 */
import { isCelError, run, type CelInput } from "@bufbuild/cel";
import type { PlannedStack } from "../harness";

interface ResourceRule {
    apiGroups: string[];
    apiVersions: string[];
    resources: string[];
    operations: string[];
}

export interface DeclaredAdmissionPolicy {
    name: string;
    resourceRules: ResourceRule[];
    matchConditions: { name: string; expression: string }[];
    validations: { expression: string; message: string }[];
    /** Label keys whose presence the binding requires of the object's namespace (none: every namespace). */
    namespaceLabelsRequired: string[];
    failurePolicy: string;
}

export interface AdmissionRequest {
    operation: "CREATE" | "UPDATE";
    group: string;
    version: string;
    resource: string;
    /** Namespace of a namespaced object; for a Namespace, its own name. */
    namespace: string;
    /** Labels of that namespace. */
    namespaceLabels: Record<string, string>;
    object: Record<string, unknown>;
    oldObject?: Record<string, unknown>;
}

export interface AdmissionVerdict {
    allowed: boolean;
    /** Messages of the failed validations (and errors), by policy. */
    denials: string[];
    /** Policies that applied to the request. */
    evaluated: string[];
}

/** The admission policies the stack declares, joined with their Deny bindings. */
export function declaredAdmissionPolicies(stack: PlannedStack): DeclaredAdmissionPolicy[] {
    const bindings = stack.ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
    return stack.ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").flatMap((policy) => {
        const name = String(policy.input("metadata.name"));
        const spec = policy.input("spec") as {
            failurePolicy?: string;
            matchConstraints: { resourceRules: ResourceRule[] };
            matchConditions?: { name: string; expression: string }[];
            validations: { expression: string; message: string }[];
        };
        const binding = bindings.find((b) => b.input("spec.policyName") === name && (b.input("spec.validationActions") as string[]).includes("Deny"));
        if (!binding) return [];
        const expressions = (binding.input("spec.matchResources.namespaceSelector.matchExpressions") ?? []) as { key: string; operator: string }[];
        return [
            {
                name,
                resourceRules: spec.matchConstraints.resourceRules,
                matchConditions: spec.matchConditions ?? [],
                validations: spec.validations,
                namespaceLabelsRequired: expressions.filter((e) => e.operator === "Exists").map((e) => e.key),
                failurePolicy: spec.failurePolicy ?? "Fail",
            },
        ];
    });
}

function matches(policy: DeclaredAdmissionPolicy, request: AdmissionRequest): boolean {
    // "*" matches anything, as in the API server's rules.
    const has = (list: string[], value: string) => list.includes("*") || list.includes(value);
    const ruleMatches = policy.resourceRules.some(
        (rule) =>
            has(rule.apiGroups, request.group) &&
            has(rule.apiVersions, request.version) &&
            has(rule.resources, request.resource) &&
            has(rule.operations, request.operation),
    );
    return ruleMatches && policy.namespaceLabelsRequired.every((key) => key in request.namespaceLabels);
}

/** What the API server would answer for the request, given the declared policies. */
export function admit(policies: DeclaredAdmissionPolicy[], request: AdmissionRequest): AdmissionVerdict {
    const bindings: Record<string, CelInput> = {
        object: request.object as CelInput,
        oldObject: (request.oldObject ?? null) as CelInput,
        request: { namespace: request.namespace, operation: request.operation } as CelInput,
    };
    const denials: string[] = [];
    const evaluated: string[] = [];
    for (const policy of policies) {
        if (!matches(policy, request)) continue;
        const conditions = policy.matchConditions.map((condition) => run(condition.expression, bindings));
        if (conditions.some((result) => result === false)) continue;
        evaluated.push(policy.name);
        if (conditions.some(isCelError) && policy.failurePolicy === "Fail") {
            denials.push(`${policy.name}: match condition failed to evaluate`);
            continue;
        }
        for (const validation of policy.validations) {
            const result = run(validation.expression, bindings);
            if (result === true) continue;
            if (isCelError(result) && policy.failurePolicy !== "Fail") continue;
            denials.push(`${policy.name}: ${validation.message}${isCelError(result) ? ` (error: ${result.message})` : ""}`);
        }
    }
    return { allowed: denials.length === 0, denials, evaluated };
}
