/**
 * Team tenancy as the pack sees it. A platform stack may delegate an edge prefix to a
 * VirtualServerRoute it does not declare (a team's) only into a team namespace that the stack
 * itself guards at admission: a Namespace carrying the team label, and Deny bindings of the
 * platform's admission policies for team Policies and VirtualServerRoutes that select team
 * namespaces by that label. The team's own stack is checked by the team rules.
 *
 * The names are repeated here (the pack loads no program code); a test keeps them equal to
 * components/teams/admission.ts.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { StackView } from "./define";
import { metadataOf, specOf } from "./kube";
import { isKubernetesKind, RESOURCE_TYPES } from "./resource-types";
import { isRecord, knownArray, knownRecord, knownString, UNKNOWN } from "./values";

export const TEAM_NAMESPACE_LABEL = "platform.amlmesh.io/team";
/** The admission policies that must guard a namespace before the edge delegates into it. */
export const TEAM_EDGE_ADMISSION_POLICIES = ["amlmesh-team-nginx-policies", "amlmesh-team-virtualserverroutes"] as const;

const ADMISSION_GROUP = "admissionregistration.k8s.io";
const isAdmissionPolicy = (type: string): boolean => isKubernetesKind(type, ADMISSION_GROUP, "ValidatingAdmissionPolicy");
const isAdmissionBinding = (type: string): boolean => isKubernetesKind(type, ADMISSION_GROUP, "ValidatingAdmissionPolicyBinding");

/** The team label of a declared Namespace, if it has one. */
export function teamOfNamespace(namespace: PolicyResource): string | undefined {
    const labels = knownRecord(metadataOf(namespace), "labels");
    if (labels === UNKNOWN || !labels) return undefined;
    const team = knownString(labels, TEAM_NAMESPACE_LABEL);
    return typeof team === "string" && team !== "" ? team : undefined;
}

/** True when a binding denies (not only warns or audits) and selects namespaces by the team label. */
function guardsTeamNamespaces(binding: PolicyResource, policyName: string): boolean {
    const spec = specOf(binding);
    if (!spec || knownString(spec, "policyName") !== policyName) return false;
    const actions = knownArray(spec, "validationActions");
    if (actions === UNKNOWN || !actions.includes("Deny")) return false;
    const match = knownRecord(spec, "matchResources");
    if (match === UNKNOWN || !match) return false;
    const selector = knownRecord(match, "namespaceSelector");
    if (selector === UNKNOWN || !selector) return false;
    const expressions = knownArray(selector, "matchExpressions");
    const byExpression =
        expressions !== UNKNOWN && expressions.some((e) => isRecord(e) && knownString(e, "key") === TEAM_NAMESPACE_LABEL && knownString(e, "operator") === "Exists");
    const labels = knownRecord(selector, "matchLabels");
    const byLabel = labels !== UNKNOWN && labels !== undefined && typeof knownString(labels, TEAM_NAMESPACE_LABEL) === "string";
    return byExpression || byLabel;
}

/** A policy that refuses rather than ignores what it cannot evaluate. */
function failsClosed(policy: PolicyResource): boolean {
    const spec = specOf(policy);
    if (!spec) return false;
    const failurePolicy = knownString(spec, "failurePolicy");
    return failurePolicy === undefined || failurePolicy === "Fail"; // Fail is the API default
}

/** Names of the declared team namespaces that the stack's admission policies guard. */
export function guardedTeamNamespaces(stack: StackView): Set<string> {
    const policies = stack.where(isAdmissionPolicy);
    const bindings = stack.where(isAdmissionBinding);
    const guarded = TEAM_EDGE_ADMISSION_POLICIES.every(
        (name) =>
            policies.some((policy) => knownString(metadataOf(policy), "name") === name && failsClosed(policy)) &&
            bindings.some((binding) => guardsTeamNamespaces(binding, name)),
    );
    const result = new Set<string>();
    if (!guarded) return result;
    for (const namespace of stack.ofType(RESOURCE_TYPES.namespace)) {
        const name = knownString(metadataOf(namespace), "name");
        if (typeof name === "string" && teamOfNamespace(namespace) !== undefined) result.add(name);
    }
    return result;
}
