/**
 * Factories for the pack's policies. Each policy is a plain `@pulumi/policy` policy object (so the
 * pack, tests and the offline runner all use the same thing) carrying the project's metadata:
 * category, severity, default enforcement level, remediation text and compliance controls, the
 * controls also written into the SDK's `framework` and `tags` fields for Pulumi Cloud.
 */
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { controlTags, type ComplianceControls } from "./controls";
import type { PropsByType } from "./resource-types";

export type PolicyCategory = "identity" | "network" | "data" | "mesh-edge" | "secrets" | "workloads" | "logging";

/** What every amlmesh policy declares besides its validation logic. */
export interface PolicyMetadata {
    category: PolicyCategory;
    severity: Severity;
    /** Level when no policy config overrides it (the per-environment files in policy/config do). */
    enforcementLevel: EnforcementLevel;
    remediationSteps: string;
    controls: ComplianceControls;
}

interface PolicyDefinition extends PolicyMetadata {
    name: string;
    description: string;
    configSchema?: PolicyConfigSchema;
}

export type AmlmeshResourcePolicy = ResourceValidationPolicy & PolicyMetadata & { resourceTypes: readonly string[] };
export type AmlmeshStackPolicy = StackValidationPolicy & PolicyMetadata;
export type AmlmeshPolicy = AmlmeshResourcePolicy | AmlmeshStackPolicy;

export function isStackPolicy(policy: AmlmeshPolicy): policy is AmlmeshStackPolicy {
    return "validateStack" in policy && typeof policy.validateStack === "function";
}

function sdkMetadata(def: PolicyDefinition) {
    const { controls } = def;
    return {
        framework: {
            name: "SOC 2",
            version: "2017 Trust Services Criteria (revised 2022)",
            reference: controls.soc2.join(", "),
            specification: controls.hipaa.length > 0 ? `Also supports HIPAA §${controls.hipaa.join(", §")}` : "",
        },
        tags: [def.category, ...controlTags(controls)],
    };
}

type TypedValidation<T extends keyof PropsByType> = (
    props: PropsByType[T],
    args: ResourceValidationArgs,
    reportViolation: ReportViolation,
) => void | Promise<void>;

/**
 * A resource policy over the given types. With a single type the validation function carries
 * `__pulumiType`, which lets the engine skip other resources before deserializing them (the same
 * fast path `validateResourceOfType` uses); with several types the rule answers `notApplicable`.
 */
export function resourcePolicy<T extends keyof PropsByType>(
    def: PolicyDefinition & { resourceTypes: readonly T[]; validate: TypedValidation<T> },
): AmlmeshResourcePolicy {
    const { validate, resourceTypes, ...rest } = def;
    const applicable = new Set<string>(resourceTypes);
    const validateResource: ResourceValidation = (args, reportViolation) => {
        if (!applicable.has(args.type)) {
            return args.notApplicable(`Policy only applies to resources of type ${resourceTypes.map((t) => `'${t}'`).join(", ")}`);
        }
        return validate(args.props as PropsByType[T], args, reportViolation);
    };
    if (resourceTypes.length === 1) Object.assign(validateResource, { __pulumiType: resourceTypes[0] });
    return { ...rest, ...sdkMetadata(def), resourceTypes, validateResource };
}

/**
 * The stack's resources indexed by type once, so stack rules stay linear. References between
 * resources (parent, dependencies) are already resolved to objects by the engine.
 */
export class StackView {
    private readonly byType = new Map<string, PolicyResource[]>();

    constructor(readonly resources: readonly PolicyResource[]) {
        for (const resource of resources) {
            const list = this.byType.get(resource.type);
            if (list) list.push(resource);
            else this.byType.set(resource.type, [resource]);
        }
    }

    ofType(type: string): readonly PolicyResource[] {
        return this.byType.get(type) ?? [];
    }

    /** Resources whose type token matches the predicate (e.g. a CRD kind in any version). */
    where(predicate: (type: string) => boolean): PolicyResource[] {
        const result: PolicyResource[] = [];
        for (const [type, list] of this.byType) if (predicate(type)) result.push(...list);
        return result;
    }

    /** The resources the given input property of a resource was computed from. */
    dependenciesOf(resource: PolicyResource, property: string): readonly PolicyResource[] {
        return resource.propertyDependencies[property] ?? [];
    }
}

export function stackPolicy(
    def: PolicyDefinition & {
        validate: (stack: StackView, args: StackValidationArgs, reportViolation: ReportViolation) => void | Promise<void>;
    },
): AmlmeshStackPolicy {
    const { validate, ...rest } = def;
    return {
        ...rest,
        ...sdkMetadata(def),
        validateStack: (args, reportViolation) => validate(new StackView(args.resources), args, reportViolation),
    };
}
