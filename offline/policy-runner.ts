/**
 * The offline policy check: runs the pack's policies over captured resources with the engine's
 * own semantics (see policy-analyzer.ts) and the per-environment enforcement levels and
 * settings of policy/config/<env>.json, and reports violations, not-applicable verdicts and the
 * compliance controls covered. Used by the offline plan and by `npm run policy:check`.
 */
import type { ResourceValidation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { PACK_NAME, PACK_VERSION, policies as packPolicies } from "../policy/catalog";
import { controlRefs } from "../policy/lib/controls";
import { isStackPolicy, type AmlmeshPolicy } from "../policy/lib/define";
import type { CapturedResource, Environment, PolicyControlCoverage, PolicyNotApplicable, PolicyReport, PolicyViolation } from "./document";
import { Analyzer, AnalyzerResourceMessages, type AnalyzerDiagnostic } from "./policy-analyzer";
import { loadEnvironmentPolicyConfig, reconcilePolicyConfig, type EffectivePolicyConfig, type PolicyConfigFile } from "./policy-config";

export interface RunPoliciesOptions {
    environment: Environment;
    /** A `--policy-pack-config` file's content; defaults to policy/config/<environment>.json. */
    policyConfig?: PolicyConfigFile;
    /** Policies to run instead of the whole pack (tests). */
    policies?: readonly AmlmeshPolicy[];
}

/**
 * The policy as the configured engine would run it. The engine takes levels and `getConfig()`
 * from a module-global that only its gRPC `configure` call sets; instead each policy is cloned
 * with its effective level and its validations see the effective settings.
 */
function configured(policy: AmlmeshPolicy, config: EffectivePolicyConfig): ResourceValidationPolicy | StackValidationPolicy {
    const getConfig = <T extends object>() => structuredClone(config.properties) as T;
    if (isStackPolicy(policy)) {
        const validateStack = policy.validateStack;
        return { ...policy, enforcementLevel: config.enforcementLevel, validateStack: (args, report) => validateStack({ ...args, getConfig }, report) };
    }
    const wrap = (validation: ResourceValidation): ResourceValidation => {
        const wrapped: ResourceValidation = (args, report) => validation({ ...args, getConfig }, report);
        // Keep the type the engine's fast path filters on.
        const pulumiType: unknown = Reflect.get(validation, "__pulumiType");
        if (typeof pulumiType === "string") Object.assign(wrapped, { __pulumiType: pulumiType });
        return wrapped;
    };
    const validations = policy.validateResource;
    return {
        ...policy,
        enforcementLevel: config.enforcementLevel,
        validateResource: validations === undefined ? undefined : Array.isArray(validations) ? validations.map(wrap) : wrap(validations),
    };
}

/** The message without the policy description the engine prepends to it. */
function specificMessage(diagnostic: AnalyzerDiagnostic): string {
    const prefix = `${diagnostic.description}\n`;
    return diagnostic.message.startsWith(prefix) ? diagnostic.message.slice(prefix.length) : diagnostic.message;
}

function stackUrnOf(resources: readonly CapturedResource[]): string {
    const stack = resources.find((resource) => resource.type === "pulumi:pulumi:Stack");
    if (stack) return stack.urn;
    const match = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(resources[0]?.urn ?? "");
    return match ? `urn:pulumi:${match[1]}::${match[2]}::pulumi:pulumi:Stack::${match[2]}-${match[1]}` : "";
}

const LEVEL_ORDER: Record<string, number> = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 };

export async function runPolicies(resources: CapturedResource[], options: RunPoliciesOptions): Promise<PolicyReport> {
    const policies = options.policies ?? packPolicies;
    const file = options.policyConfig ?? loadEnvironmentPolicyConfig(options.environment);
    const effective = reconcilePolicyConfig(policies, file, options.environment);
    const enabled = policies.filter((policy) => effective.get(policy.name)?.enforcementLevel !== "disabled");
    const analyzer = new Analyzer(PACK_NAME, PACK_VERSION, enabled.map((policy) => configured(policy, effective.get(policy.name) as EffectivePolicyConfig)));

    const providers = new Map(resources.filter((resource) => resource.type.startsWith("pulumi:providers:")).map((resource) => [resource.urn, resource]));
    const messages = resources.map((resource) => new AnalyzerResourceMessages(resource, providers));
    const stackUrn = stackUrnOf(resources);
    const violations: PolicyViolation[] = [];
    const notApplicable: PolicyNotApplicable[] = [];

    for (const message of messages) {
        const result = await analyzer.analyze(message);
        for (const diagnostic of result.diagnostics) {
            violations.push({ policy: diagnostic.policy, level: diagnostic.level, severity: diagnostic.severity, urn: message.resource.urn, message: specificMessage(diagnostic) });
        }
        for (const entry of result.notApplicable) notApplicable.push({ policy: entry.policy, urn: message.resource.urn, reason: entry.reason });
    }
    const stackResult = await analyzer.analyzeStack(messages);
    for (const diagnostic of stackResult.diagnostics) {
        violations.push({ policy: diagnostic.policy, level: diagnostic.level, severity: diagnostic.severity, urn: diagnostic.urn ?? stackUrn, message: specificMessage(diagnostic) });
    }
    for (const entry of stackResult.notApplicable) notApplicable.push({ policy: entry.policy, urn: stackUrn, reason: entry.reason });

    violations.sort(
        (a, b) => (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9) || a.policy.localeCompare(b.policy) || a.urn.localeCompare(b.urn) || a.message.localeCompare(b.message),
    );
    return {
        pack: PACK_NAME,
        version: PACK_VERSION,
        environment: options.environment,
        violations,
        notApplicable,
        controls: controlCoverage(enabled, violations),
        enforcementLevels: Object.fromEntries(policies.map((policy) => [policy.name, effective.get(policy.name)?.enforcementLevel ?? policy.enforcementLevel])),
    };
}

/** Every control the enabled policies support, with the policies that violated it. */
function controlCoverage(enabled: readonly AmlmeshPolicy[], violations: readonly PolicyViolation[]): PolicyControlCoverage[] {
    const violated = new Set(violations.map((violation) => violation.policy));
    const byControl = new Map<string, PolicyControlCoverage>();
    for (const policy of enabled) {
        for (const { framework, control } of controlRefs(policy.controls)) {
            const key = `${framework} ${control}`;
            const entry = byControl.get(key) ?? { framework, control, policies: [], violatedBy: [] };
            entry.policies.push(policy.name);
            if (violated.has(policy.name)) entry.violatedBy.push(policy.name);
            byControl.set(key, entry);
        }
    }
    return [...byControl.values()].sort((a, b) => a.framework.localeCompare(b.framework) || a.control.localeCompare(b.control, undefined, { numeric: true }));
}
