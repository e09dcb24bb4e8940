/**
 * The shapes that flow between the offline engine (`offline/engine.ts`), the offline plan
 * (`npm run plan`), the policy runner and the offline policy checker (`npm run policy:check`).
 *
 * Two forms of a resource exist on purpose:
 * - `CapturedResource` keeps property values in Pulumi's RPC wire format, exactly as the
 *   engine would hand them to a policy analyzer: secrets wrapped in the secret signature
 *   object, unknown values as the unknown sentinel string. Policies run on this form.
 * - `PlanDocumentResource` is what the plan prints: secrets masked, safe to log and diff.
 */

import type { Environment } from "../policy/lib/settings";

/** The stack environments, as the policy pack knows them (one list, in `policy/lib/settings.ts`). */
export type { Environment };

/** A property value in Pulumi's RPC wire format (see `@pulumi/pulumi/runtime/rpc`). */
export type WireValue = unknown;

export interface CapturedResourceOptions {
    protect?: boolean;
    ignoreChanges?: string[];
    deleteBeforeReplace?: boolean;
    additionalSecretOutputs?: string[];
    aliases?: string[];
    customTimeouts?: { create?: string; update?: string; delete?: string };
    retainOnDelete?: boolean;
    deletedWith?: string;
}

/** One resource as registered with the (mock) resource monitor. */
export interface CapturedResource {
    urn: string;
    type: string;
    name: string;
    /** True for provider-managed resources, false for component resources. */
    custom: boolean;
    /** URN of the parent resource; absent only for the root stack resource. */
    parent?: string;
    /** Provider reference (`<provider urn>::<provider id>`), when an explicit provider is used. */
    provider?: string;
    /** URNs this resource depends on (explicit `dependsOn` plus those implied by inputs). */
    dependencies: string[];
    /** For each input property, the URNs of the resources its value came from. */
    propertyDependencies: Record<string, string[]>;
    /** Inputs in wire format (secrets still wrapped, so secretness is known). */
    inputs: Record<string, WireValue>;
    options: CapturedResourceOptions;
}

/** A policy verdict, as the plan and the checker print it. */
export interface PolicyViolation {
    policy: string;
    /** Effective enforcement level: "advisory" | "mandatory" | "remediate" | "disabled". */
    level: string;
    severity: string;
    /** URN of the offending resource; for stack policies without a resource, the stack URN. */
    urn: string;
    message: string;
}

/** One resource in the printed plan document. Secret values are masked. */
export interface PlanDocumentResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent: string | null;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    /** Inputs as plain JSON; every secret value is replaced by `SECRET_MASK`. */
    inputs: Record<string, unknown>;
}

/** The document printed by `npm run plan -- --json`. */
export interface PlanDocument {
    /** Version of this document's shape; bump on breaking changes. */
    documentVersion: 1;
    kind: "amlmesh-offline-plan";
    project: string;
    stack: string;
    environment: Environment;
    resources: PlanDocumentResource[];
    /** Stack outputs, secrets masked. */
    outputs: Record<string, unknown>;
    policy: {
        pack: string;
        version: string;
        violations: PolicyViolation[];
    };
}

/** What a secret value looks like in every printed document. */
export const SECRET_MASK = "[secret]";
/** What an unknown (computed during preview) value looks like in every printed document. */
export const UNKNOWN_MASK = "[unknown]";

/** A policy that did not apply to a resource (or to the stack), as the engine reports it. */
export interface PolicyNotApplicable {
    policy: string;
    /** The resource the policy was asked about; the stack URN for stack policies. */
    urn: string;
    reason: string;
}

/** One compliance control and how the enabled policies that support it fared. */
export interface PolicyControlCoverage {
    framework: "SOC 2" | "HIPAA";
    /** `CC6.1`, `164.312(d)`. */
    control: string;
    /** Enabled (not disabled) policies that support the control. */
    policies: string[];
    /** Policies among them with at least one violation. */
    violatedBy: string[];
}

/** What `runPolicies` (offline/policy-runner.ts) returns. */
export interface PolicyReport {
    pack: string;
    version: string;
    environment: Environment;
    violations: PolicyViolation[];
    notApplicable: PolicyNotApplicable[];
    controls: PolicyControlCoverage[];
    /** Effective enforcement level of every policy in the pack. */
    enforcementLevels: Record<string, string>;
}
