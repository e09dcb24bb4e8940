/**
 * Builders for policy tests: captured resources in wire format (as the offline engine hands
 * them to the runner), and assertions over the runner's report.
 */
import * as assert from "node:assert/strict";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import type { CapturedResource, Environment, PolicyReport, PolicyViolation } from "../../offline/document";
import type { PolicyConfigFile } from "../../offline/policy-config";
import { runPolicies } from "../../offline/policy-runner";
import { wireSecret } from "../../offline/wire";

/** A value computed during preview (the engine's unknown sentinel). */
export const UNKNOWN = unknownValue;

/** A secret value in wire format. */
export function secret(value: unknown): Record<string, unknown> {
    return wireSecret(value);
}

export interface ResourceExtras {
    stack?: string;
    custom?: boolean;
    parent?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
}

export function urnOf(type: string, name: string, stack = "prod"): string {
    return `urn:pulumi:${stack}::amlmesh::${type}::${name}`;
}

export function resource(type: string, name: string, inputs: Record<string, unknown>, extras: ResourceExtras = {}): CapturedResource {
    const propertyDependencies = extras.propertyDependencies ?? {};
    return {
        urn: urnOf(type, name, extras.stack),
        type,
        name,
        custom: extras.custom ?? true,
        parent: extras.parent,
        dependencies: extras.dependencies ?? [...new Set(Object.values(propertyDependencies).flat())],
        propertyDependencies,
        inputs,
        options: {},
    };
}

/** Runs the whole pack (with the environment's shipped config unless one is given). */
export function check(resources: CapturedResource[], environment: Environment = "prod", policyConfig?: PolicyConfigFile): Promise<PolicyReport> {
    return runPolicies(resources, { environment, policyConfig });
}

export function violationsOf(report: PolicyReport, policy: string, urn?: string): PolicyViolation[] {
    return report.violations.filter((violation) => violation.policy === policy && (urn === undefined || violation.urn === urn));
}

/** Asserts the policy evaluated the resource (not skipped as not applicable) and found nothing. */
export function assertPasses(report: PolicyReport, policy: string, urn: string): void {
    assert.deepEqual(violationsOf(report, policy, urn), [], `${policy} should pass for ${urn}`);
    const skipped = report.notApplicable.filter((entry) => entry.policy === policy && entry.urn === urn);
    assert.deepEqual(skipped, [], `${policy} should have evaluated ${urn}`);
}

/** Asserts at least one violation of the policy at the URN whose message matches. */
export function assertViolates(report: PolicyReport, policy: string, urn: string, message?: RegExp): PolicyViolation[] {
    const found = violationsOf(report, policy, urn);
    assert.ok(found.length > 0, `${policy} should report ${urn}; got ${JSON.stringify(report.violations.filter((v) => v.urn === urn), null, 1)}`);
    if (message) assert.ok(found.some((violation) => message.test(violation.message)), `${policy} messages ${JSON.stringify(found.map((v) => v.message))} should match ${message}`);
    return found;
}

/** Asserts the engine could not run the policy during preview (advisory "can't run" note). */
export function assertUndecidedInPreview(report: PolicyReport, policy: string, urn: string): void {
    const notes = violationsOf(report, policy, urn).filter((violation) => /can't be known during preview/.test(violation.message));
    assert.ok(notes.length > 0, `${policy} should be undecided for ${urn}`);
    assert.ok(notes.every((note) => note.level === "advisory"));
}

export function notApplicableReason(report: PolicyReport, policy: string, urn: string): string | undefined {
    return report.notApplicable.find((entry) => entry.policy === policy && entry.urn === urn)?.reason;
}
