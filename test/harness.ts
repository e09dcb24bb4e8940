/**
 * Test harness: run a component (or the whole program) under the offline mocks and ask
 * questions about what it registered.
 *
 *     const stack = await runComponents(() => new KeyVault("kv", args));
 *     const vault = stack.one("azure-native:keyvault:Vault");
 *     assert.equal(vault.input("properties.enableRbacAuthorization"), true);
 *     assert.ok(stack.ofType("azure-native:authorization:RoleAssignment").length > 0);
 *
 * Component tests build their args by hand; `runStack("prod")` evaluates infra/ with a
 * shipped stack file, optionally edited first, to test the wiring end to end.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { builtInRoleName } from "../components/azure/roles";
import { decodeConfigValue } from "../infra/config";
import type { CapturedResource } from "../offline/document";
import { evaluateProgram, type Evaluation } from "../offline/engine";
import { evaluateStack } from "../offline/evaluate-stack";
import { readStackConfigFiles, toEngineValue } from "../offline/stack-files";
import { containsSecret, unwrapWire, valueAtPath } from "../offline/wire";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** The tenant the component tests pretend to live in. */
export const TEST_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const TEST_LOCATION = "westeurope";

/** One registered resource, with its inputs readable as plain values. */
export class TestResource {
    constructor(readonly captured: CapturedResource) {}

    get urn(): string {
        return this.captured.urn;
    }
    get type(): string {
        return this.captured.type;
    }
    get name(): string {
        return this.captured.name;
    }
    get parent(): string | undefined {
        return this.captured.parent;
    }
    /** All inputs with secrets unwrapped. */
    get inputs(): Record<string, unknown> {
        return unwrapWire(this.captured.inputs) as Record<string, unknown>;
    }
    /** The input at a dotted path (`properties.networkAcls.defaultAction`) or segment array. */
    input(pathOrSegments: string | (string | number)[]): unknown {
        return valueAtPath(this.captured.inputs, pathOrSegments).value;
    }
    /** True when the input at the path is (or sits inside) a Pulumi secret. */
    isSecret(pathOrSegments: string | (string | number)[]): boolean {
        const found = valueAtPath(this.captured.inputs, pathOrSegments);
        if (!found.found) throw new Error(`${this.urn} has no input at ${String(pathOrSegments)}`);
        return found.secret || containsSecret(found.raw);
    }
    /** True when this resource depends on `other`, directly or through an input. */
    dependsOn(other: TestResource): boolean {
        return (
            this.captured.dependencies.includes(other.urn) ||
            Object.values(this.captured.propertyDependencies).some((urns) => urns.includes(other.urn))
        );
    }
    /** URNs the given input property was computed from. */
    inputSources(property: string): string[] {
        return this.captured.propertyDependencies[property] ?? [];
    }
}

/** Everything one evaluation registered. */
export class PlannedStack {
    readonly resources: TestResource[];
    private readonly byUrn: Map<string, TestResource>;

    constructor(readonly evaluation: Evaluation) {
        this.resources = evaluation.resources.map((captured) => new TestResource(captured));
        this.byUrn = new Map(this.resources.map((resource) => [resource.urn, resource]));
    }

    /** Stack outputs with secrets unwrapped. */
    get outputs(): Record<string, unknown> {
        return unwrapWire(this.evaluation.outputs) as Record<string, unknown>;
    }

    /** True when the stack output at the path is a secret. */
    isOutputSecret(pathOrSegments: string | (string | number)[]): boolean {
        return valueAtPath(this.evaluation.outputs, pathOrSegments).secret;
    }

    ofType(type: string): TestResource[] {
        return this.resources.filter((resource) => resource.type === type);
    }

    /** Exactly one resource of the type (and name, when given); fails listing what exists. */
    one(type: string, name?: string): TestResource {
        const candidates = this.ofType(type);
        const matches = name === undefined ? candidates : candidates.filter((resource) => resource.name === name);
        if (matches.length !== 1) {
            throw new Error(
                `expected one ${type}${name ? ` named ${name}` : ""}, found ${matches.length}; ${type} names: ${candidates.map((r) => r.name).join(", ") || "none"}`,
            );
        }
        return matches[0];
    }

    /** Resources of the type whose name matches the predicate or pattern. */
    where(type: string, match: RegExp | ((resource: TestResource) => boolean)): TestResource[] {
        const test = match instanceof RegExp ? (resource: TestResource) => match.test(resource.name) : match;
        return this.ofType(type).filter(test);
    }

    byUrnOf(urn: string): TestResource | undefined {
        return this.byUrn.get(urn);
    }

    /** Every resource below the component (children, grandchildren, …). */
    descendantsOf(component: TestResource): TestResource[] {
        return this.resources.filter((resource) => {
            for (let parent = resource.parent; parent; parent = this.byUrn.get(parent)?.parent) {
                if (parent === component.urn) return true;
            }
            return false;
        });
    }
}

/** One Azure role assignment, read back from a plan. */
export interface RoleAssignmentView {
    resource: TestResource;
    /** Built-in role name, or the raw role definition ID when it is not one of ours. */
    role: string;
    roleDefinitionId: string;
    scope: string;
    principalId: string;
    principalType: unknown;
    description: string;
}

/** Every Azure role assignment the stack registered, in registration order. */
export function roleAssignments(stack: PlannedStack): RoleAssignmentView[] {
    return stack.ofType("azure-native:authorization:RoleAssignment").map((resource) => {
        const roleDefinitionId = String(resource.input("roleDefinitionId"));
        return {
            resource,
            role: builtInRoleName(roleDefinitionId) ?? roleDefinitionId,
            roleDefinitionId,
            scope: String(resource.input("scope")),
            principalId: String(resource.input("principalId")),
            principalType: resource.input("principalType"),
            description: String(resource.input("description")),
        };
    });
}

export interface RunOptions {
    stack?: string;
    /** Raw config (`namespace:key` → string or JSON text), as the engine passes it. */
    config?: Record<string, string>;
    tenantId?: string;
    location?: string;
    /** Evaluate as `pulumi up` instead of a preview. */
    deploy?: boolean;
}

/** Runs `body` as a stack under the mocks and returns what it registered. */
export async function runComponents(body: () => unknown, options: RunOptions = {}): Promise<PlannedStack> {
    const evaluation = await evaluateProgram(async () => {
        await body();
        return {};
    }, {
        project: "amlmesh",
        stack: options.stack ?? "test",
        config: options.config ?? {},
        mockContext: { location: options.location ?? TEST_LOCATION, tenantId: options.tenantId ?? TEST_TENANT_ID },
        preview: !options.deploy,
    });
    return new PlannedStack(evaluation);
}

/** The raw config of a shipped stack file, as the engine would pass it. */
export function shippedStackConfig(stack: "dev" | "staging" | "prod"): Record<string, string> {
    return readStackConfigFiles(PROJECT_ROOT, stack).config;
}

/**
 * Returns a copy of a raw config with one key edited: `edit` receives the decoded value (an
 * object for structured keys) and returns the new one; returning undefined deletes the key.
 */
export function editConfig(raw: Record<string, string>, key: string, edit: (value: unknown) => unknown): Record<string, string> {
    const copy = { ...raw };
    const current = copy[key];
    const next = edit(current === undefined ? undefined : decodeConfigValue(current));
    if (next === undefined) delete copy[key];
    else copy[key] = toEngineValue(next);
    return copy;
}

/** Evaluates the real program (infra/) with a stack's config, the way the offline plan does. */
export async function runStack(stack: "dev" | "staging" | "prod", config = shippedStackConfig(stack), options: { deploy?: boolean } = {}): Promise<PlannedStack> {
    return new PlannedStack(await evaluateStack(config, { stack, project: "amlmesh", preview: !options.deploy }));
}

/** The value of an Output, once resolved under the mocks. */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** True when the Output is marked secret. */
export function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
    return pulumi.isSecret(output);
}
