/**
 * Validates the custom resources a plan declares against the upstream CRD schemas kept in the
 * repository (`upstream/crds`, provenance in `upstream/sources.json`). Reusable over any
 * captured resource list: a component test or a whole stack.
 *
 *     const schemas = loadCrdSchemas();              // throws when the folder is missing
 *     const report = validateCustomResources(stack.evaluation.resources, schemas);
 *     assert.deepEqual(report.failures, []);
 *     assert.deepEqual(report.unknownKinds, []);
 *
 * Stricter than the API server on one point, on purpose: an object schema that lists its
 * properties is treated as closed (`additionalProperties: false`) unless it says
 * `x-kubernetes-preserve-unknown-fields`. The API server would silently prune an unknown
 * (misspelled) field; here it is an error. CEL rules (`x-kubernetes-validations`) are not run.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import type { CapturedResource } from "../../offline/document";
import { unwrapWire } from "../../offline/wire";
import { upstreamPath } from "./upstream";


export interface CrdSchemas {
    /** `group/version:Kind` → validator. */
    readonly validators: ReadonlyMap<string, ValidateFunction>;
    /** The CRD files read. */
    readonly files: readonly string[];
}

export interface CrdValidationFailure {
    urn: string;
    /** `group/version:Kind`. */
    kind: string;
    problems: string[];
}

export interface CrdValidationReport {
    /** Custom resources validated. */
    checked: number;
    failures: CrdValidationFailure[];
    /** Custom resources whose kind has no upstream schema (each `urn (group/version:Kind)`). */
    unknownKinds: string[];
}

let cache: CrdSchemas | undefined;

/** Loads every CRD under `upstream/crds`; throws when the folder is missing. Cached. */
export function loadCrdSchemas(): CrdSchemas {
    if (cache) return cache;
    const crdDir = upstreamPath("crds");
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    for (const keyword of [
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-int-or-string",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-embedded-resource",
        "x-kubernetes-validations",
    ]) {
        ajv.addKeyword({ keyword, schemaType: ["boolean", "string", "array", "object"] });
    }
    const validators = new Map<string, ValidateFunction>();
    const files = listYaml(crdDir);
    for (const file of files) {
        for (const document of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
            const crd = document.toJS() as CrdDocument | null;
            if (crd?.kind !== "CustomResourceDefinition") continue;
            for (const version of crd.spec.versions ?? []) {
                const schema = version.schema?.openAPIV3Schema;
                if (!schema) continue;
                validators.set(`${crd.spec.group}/${version.name}:${crd.spec.names.kind}`, ajv.compile(closeObjects(withObjectMeta(structuredClone(schema)))));
            }
        }
    }
    cache = { validators, files };
    return cache;
}

/** API groups served by Kubernetes itself or by Pulumi (not custom resources). */
function isBuiltInGroup(group: string): boolean {
    return !group.includes(".") || group.endsWith(".k8s.io") || group === "helm.sh";
}

/** The `group/version:Kind` of a captured Kubernetes custom resource, or undefined for anything else. */
export function customResourceKind(resource: Pick<CapturedResource, "type">): string | undefined {
    const match = /^kubernetes:([^/:]+)\/([^:]+):(.+)$/.exec(resource.type);
    if (!match || isBuiltInGroup(match[1])) return undefined;
    return `${match[1]}/${match[2]}:${match[3]}`;
}

/** Validates every custom resource in the list. */
export function validateCustomResources(resources: readonly CapturedResource[], schemas: CrdSchemas): CrdValidationReport {
    const report: CrdValidationReport = { checked: 0, failures: [], unknownKinds: [] };
    for (const resource of resources) {
        const kind = customResourceKind(resource);
        if (!kind) continue;
        const validate = schemas.validators.get(kind);
        if (!validate) {
            report.unknownKinds.push(`${resource.urn} (${kind})`);
            continue;
        }
        report.checked++;
        const object = unwrapWire(resource.inputs);
        if (!validate(object)) {
            report.failures.push({
                urn: resource.urn,
                kind,
                problems: (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? "is invalid"}${describeParams(error.params)}`),
            });
        }
    }
    return report;
}

interface CrdDocument {
    kind: string;
    spec: {
        group: string;
        names: { kind: string };
        versions?: { name: string; schema?: { openAPIV3Schema?: Record<string, unknown> } }[];
    };
}

function listYaml(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((entry) => {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) return listYaml(full);
            return /\.ya?ml$/.test(entry.name) ? [full] : [];
        })
        .sort();
}

/** Every object has apiVersion, kind and metadata, whether or not its CRD schema lists them. */
function withObjectMeta(schema: Record<string, unknown>): Record<string, unknown> {
    const properties = (schema.properties ?? {}) as Record<string, unknown>;
    schema.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...properties };
    return schema;
}

/** Closes object schemas that list their properties; int-or-string becomes an explicit union. */
function closeObjects(schema: Record<string, unknown>): Record<string, unknown> {
    const visit = (node: unknown): void => {
        if (typeof node !== "object" || node === null || Array.isArray(node)) return;
        const object = node as Record<string, unknown>;
        if (object["x-kubernetes-int-or-string"] === true && object.type === undefined && object.anyOf === undefined) {
            object.anyOf = [{ type: "integer" }, { type: "string" }];
        }
        const properties = object.properties as Record<string, unknown> | undefined;
        if (properties !== undefined && object.additionalProperties === undefined && object["x-kubernetes-preserve-unknown-fields"] !== true) {
            object.additionalProperties = false;
        }
        Object.values(properties ?? {}).forEach(visit);
        visit(object.items);
        visit(object.additionalProperties);
        visit(object.not);
        for (const list of [object.allOf, object.anyOf, object.oneOf]) if (Array.isArray(list)) list.forEach(visit);
    };
    visit(schema);
    return schema;
}

function describeParams(params: Record<string, unknown>): string {
    if ("additionalProperty" in params) return `: ${String(params.additionalProperty)}`;
    if ("allowedValues" in params) return `: ${JSON.stringify(params.allowedValues)}`;
    return "";
}

/**
 * The test body every component and stack spec shares: validates the custom resources among
 * `resources` against the upstream schemas, expects no failure, no unknown kind and at least
 * `minimum` checked.
 */
export function assertCustomResourcesValid(resources: readonly CapturedResource[], minimum: number): void {
    const report = validateCustomResources(resources, loadCrdSchemas());
    assert.deepEqual(report.failures, []);
    assert.deepEqual(report.unknownKinds, []);
    assert.ok(report.checked >= minimum, `only ${report.checked} custom resources checked, expected at least ${minimum}`);
}
