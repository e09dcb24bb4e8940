/**
 * Reads the resource documents the offline policy check accepts and turns each into the
 * resources the runner analyzes (CapturedResource, wire format):
 * - the offline plan's `--json` document (`kind: "amlmesh-offline-plan"`): secrets and unknowns
 *   are masked there (SECRET_MASK / UNKNOWN_MASK);
 * - `pulumi preview --json`: `steps[].newState` (ResourceV3), secrets printed as "[secret]",
 *   unknown values as the unknown sentinel;
 * - `pulumi stack export`: `deployment.resources[]`, secrets as `{sig, ciphertext}` (masked) or
 *   `{sig, plaintext}` (with --show-secrets).
 * Masked secrets become wire secrets whose value is the mask, so secretness survives and no rule
 * mistakes the mask for a literal.
 */
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { isEnvironment, stackNameOf } from "../policy/lib/settings";
import { SECRET_MASK, UNKNOWN_MASK, type CapturedResource, type CapturedResourceOptions, type Environment } from "./document";
import { isObject, wireSecret } from "./wire";

export type DocumentKind = "offline-plan" | "preview" | "stack-export";

export const DOCUMENT_KIND_LABELS: Record<DocumentKind, string> = {
    "offline-plan": "offline plan document",
    preview: "pulumi preview --json output",
    "stack-export": "pulumi stack export",
};

export interface ResourceDocument {
    kind: DocumentKind;
    resources: CapturedResource[];
    /** The stack the document names (plan) or its URNs carry. */
    stack?: string;
    /** The environment the document itself states (the offline plan does). */
    environment?: Environment;
}

/** The input is not a document the checker understands. */
export class DocumentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DocumentError";
    }
}

type Json = Record<string, unknown>;

/** Printed values back to wire format: masks become a wire secret or the unknown sentinel. */
function fromPrinted(value: unknown): unknown {
    if (value === SECRET_MASK) return wireSecret(SECRET_MASK);
    if (value === UNKNOWN_MASK) return unknownValue;
    if (Array.isArray(value)) return value.map(fromPrinted);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fromPrinted(inner)]));
    return value;
}

/** State-file values to wire format: encrypted secrets stay secret but masked. */
function fromState(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(fromState);
    if (!isObject(value)) return value === SECRET_MASK ? wireSecret(SECRET_MASK) : value;
    if (value[specialSigKey] === specialSecretSig) {
        if (typeof value.plaintext === "string") {
            try {
                return wireSecret(fromState(JSON.parse(value.plaintext)));
            } catch {
                return wireSecret(value.plaintext);
            }
        }
        if ("value" in value) return wireSecret(fromState(value.value));
        return wireSecret(SECRET_MASK);
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fromState(inner)]));
}

/** The resource name, the URN's last `::` segment. */
export function nameFromUrn(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/** The resource's own type, the last `$` link of the URN's type chain (parent types come first). */
export function typeFromUrn(urn: string): string {
    const typeChain = urn.split("::")[2] ?? "";
    return typeChain.slice(typeChain.lastIndexOf("$") + 1);
}

function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function propertyDependencies(value: unknown): Record<string, string[]> {
    if (!isObject(value)) return {};
    return Object.fromEntries(Object.entries(value).map(([key, urns]) => [key, strings(urns)]));
}

/** Options from a ResourceV3 state (preview newState, stack export resource). */
function stateOptions(state: Json): CapturedResourceOptions {
    const options: CapturedResourceOptions = {
        protect: state.protect === true,
        ignoreChanges: strings(state.ignoreChanges),
        additionalSecretOutputs: strings(state.additionalSecretOutputs),
        aliases: strings(state.aliases),
    };
    if (state.retainOnDelete === true) options.retainOnDelete = true;
    if (typeof state.deletedWith === "string" && state.deletedWith) options.deletedWith = state.deletedWith;
    const timeouts = state.customTimeouts;
    if (isObject(timeouts)) {
        // State keeps timeouts as seconds; captured options use Go durations.
        const seconds = (key: string) => (typeof timeouts[key] === "number" ? `${timeouts[key]}s` : undefined);
        options.customTimeouts = { create: seconds("create"), update: seconds("update"), delete: seconds("delete") };
    }
    return options;
}

/** A ResourceV3 state as a captured resource; `convert` turns its values into wire format. */
function fromResourceState(state: Json, convert: (value: unknown) => unknown, where: string): CapturedResource {
    if (typeof state.urn !== "string" || !state.urn.startsWith("urn:pulumi:")) throw new DocumentError(`${where} has no valid urn`);
    const type = typeof state.type === "string" ? state.type : typeFromUrn(state.urn);
    // Resource policies see inputs; the root stack's "inputs" are its outputs.
    const source = type === "pulumi:pulumi:Stack" ? state.outputs : state.inputs;
    const inputs = (isObject(source) ? convert(source) : {}) as Record<string, unknown>;
    // Stack policies link resources by ID (e.g. a diagnostic setting's resourceUri), known only in state.
    if (typeof state.id === "string" && state.id !== "" && inputs.id === undefined) inputs.id = state.id;
    return {
        urn: state.urn,
        type,
        name: nameFromUrn(state.urn),
        custom: state.custom === true,
        parent: typeof state.parent === "string" && state.parent ? state.parent : undefined,
        provider: typeof state.provider === "string" && state.provider ? state.provider : undefined,
        dependencies: strings(state.dependencies),
        propertyDependencies: propertyDependencies(state.propertyDependencies),
        inputs,
        options: stateOptions(state),
    };
}

function readOfflinePlan(document: Json): ResourceDocument {
    if (!Array.isArray(document.resources)) throw new DocumentError("The offline plan document has no resources array.");
    const outputs = isObject(document.outputs) ? document.outputs : {};
    const resources = document.resources.map((resource, index): CapturedResource => {
        if (!isObject(resource) || typeof resource.urn !== "string" || typeof resource.type !== "string") {
            throw new DocumentError(`resources[${index}] of the offline plan is not a resource (urn and type expected).`);
        }
        const inputs = resource.type === "pulumi:pulumi:Stack" ? outputs : isObject(resource.inputs) ? resource.inputs : {};
        return {
            urn: resource.urn,
            type: resource.type,
            name: typeof resource.name === "string" ? resource.name : nameFromUrn(resource.urn),
            custom: resource.custom === true,
            parent: typeof resource.parent === "string" ? resource.parent : undefined,
            dependencies: strings(resource.dependencies),
            propertyDependencies: propertyDependencies(resource.propertyDependencies),
            inputs: fromPrinted(inputs) as Record<string, unknown>,
            options: {},
        };
    });
    const environment = document.environment;
    return {
        kind: "offline-plan",
        resources,
        stack: typeof document.stack === "string" ? document.stack : undefined,
        environment: isEnvironment(environment) ? environment : undefined,
    };
}

/** Step operations after which the resource no longer exists; their new state is skipped. */
const REMOVING_OPS = new Set(["delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"]);

function readPreview(document: Json): ResourceDocument {
    const steps = document.steps as unknown[];
    const byUrn = new Map<string, CapturedResource>();
    steps.forEach((step, index) => {
        if (!isObject(step)) throw new DocumentError(`steps[${index}] is not an object.`);
        if (typeof step.op === "string" && REMOVING_OPS.has(step.op)) return;
        if (!isObject(step.newState)) return;
        const resource = fromResourceState(step.newState, fromState, `steps[${index}].newState`);
        byUrn.set(resource.urn, resource);
    });
    const resources = [...byUrn.values()];
    return { kind: "preview", resources, stack: resources[0] ? stackNameOf(resources[0].urn) : undefined };
}

function readStackExport(document: Json): ResourceDocument {
    const deployment = document.deployment as Json;
    const list = deployment.resources;
    if (list !== undefined && list !== null && !Array.isArray(list)) throw new DocumentError("deployment.resources is not an array.");
    const resources = (list ?? []).flatMap((resource: unknown, index: number) => {
        if (!isObject(resource)) throw new DocumentError(`deployment.resources[${index}] is not an object.`);
        // Resources pending deletion are on their way out; the policies judge what stays.
        if (resource.delete === true) return [];
        return [fromResourceState(resource, fromState, `deployment.resources[${index}]`)];
    });
    return { kind: "stack-export", resources, stack: resources[0] ? stackNameOf(resources[0].urn) : undefined };
}

/** Detects the document's kind and reads its resources. */
export function readResourceDocument(json: unknown): ResourceDocument {
    if (!isObject(json)) throw new DocumentError("The document is not a JSON object.");
    if (json.kind === "amlmesh-offline-plan") return readOfflinePlan(json);
    if (Array.isArray(json.steps)) return readPreview(json);
    if (isObject(json.deployment)) return readStackExport(json);
    throw new DocumentError(
        "Unknown document format: expected the offline plan's --json document (kind: amlmesh-offline-plan), " +
            "`pulumi preview --json` output (steps[]) or `pulumi stack export` output (deployment.resources[]).",
    );
}
