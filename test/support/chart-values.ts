/**
 * Checks the values a Helm release declares against its chart's reference data in
 * `upstream/chart-values/<chart>-<version>/`:
 *
 * - every key we set must be one the chart defines (a misspelt key is ignored by Helm without a
 *   word, so a setting we rely on would silently not apply): present in its default values
 *   (`values.yaml`, plus `values-ha.yaml` where the chart documents that overlay) or declared in
 *   its `values.schema.json`. Below a key whose default is an empty map, null, a list or a scalar
 *   the chart takes free-form content (annotations, ConfigMap entries), so the walk stops there;
 * - where the chart ships `values.schema.json`, the merged values (defaults overlaid with ours,
 *   as Helm merges them) must validate against it, as `helm install` would check them. References
 *   to Kubernetes definitions outside the file are stood in by permissive schemas.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2019, { type ValidateFunction } from "ajv/dist/2019";
import { parse as parseYaml } from "yaml";
import { upstreamPath } from "./upstream";

export interface ChartValuesReport {
    /** Keys we set that the chart does not define, as dotted paths. */
    unknownKeys: string[];
    /** values.schema.json errors of the merged values (empty when the chart has no schema). */
    schemaErrors: string[];
    /** Whether the chart has a values schema that was applied. */
    schemaChecked: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isMap = (value: unknown): value is Record<string, Json> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Helm's merge: maps merge key by key, anything else from the overlay replaces the default. */
export function mergeValues(defaults: Json, overlay: Json): Json {
    if (!isMap(defaults) || !isMap(overlay)) return overlay === undefined ? defaults : overlay;
    const merged: Record<string, Json> = { ...defaults };
    for (const [key, value] of Object.entries(overlay)) merged[key] = key in defaults ? mergeValues(defaults[key], value) : value;
    return merged;
}

/** Follows local `$ref`s (`#/definitions/...`) to the schema they name. */
function resolveRef(root: Record<string, Json> | undefined, node: Json | undefined): Json | undefined {
    let current = node;
    for (let hops = 0; isMap(current) && typeof current.$ref === "string" && current.$ref.startsWith("#/") && hops < 10; hops++) {
        current = current.$ref
            .slice(2)
            .split("/")
            .reduce<Json | undefined>((at, segment) => (isMap(at) ? at[segment] : undefined), root);
    }
    return current;
}

/** The sub-schema declared for `key` under `node`, if any. */
function declaredProperty(root: Record<string, Json> | undefined, node: Json | undefined, key: string): Json | undefined {
    const resolved = resolveRef(root, node);
    return isMap(resolved) && isMap(resolved.properties) ? resolved.properties[key] : undefined;
}

function unknownKeys(defaults: Json | undefined, schema: Json | undefined, root: Record<string, Json> | undefined, values: Json, prefix: string): string[] {
    if (!isMap(values)) return [];
    const freeForm = isMap(defaults) ? Object.keys(defaults).length === 0 : defaults !== undefined;
    if (freeForm) return [];
    return Object.entries(values).flatMap(([key, value]) => {
        const at = prefix ? `${prefix}.${key}` : key;
        const defaultValue = isMap(defaults) ? defaults[key] : undefined;
        const property = declaredProperty(root, schema, key);
        if (defaultValue === undefined && property === undefined && !(isMap(defaults) && key in defaults)) return [at];
        // The schema declares the key but not its fields (a Kubernetes type behind an external
        // reference, such as ResourceRequirements): nothing below it can be checked by name.
        if (property !== undefined) {
            const resolved = resolveRef(root, property);
            if (!isMap(resolved) || !isMap(resolved.properties)) return [];
        }
        // A key the schema declares but the defaults leave out (commented out in values.yaml) is
        // checked further by the schema alone.
        return unknownKeys(isMap(defaults) && key in defaults ? defaultValue : undefined, property, root, value, at);
    });
}

/** Replaces `$ref`s to documents outside the schema file by an empty (permissive) schema. */
function withoutExternalRefs(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(withoutExternalRefs);
    if (!isMap(node)) return node;
    if (typeof node.$ref === "string" && !node.$ref.startsWith("#")) return {};
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withoutExternalRefs(value)]));
}

const schemas = new Map<string, { schema?: Record<string, Json>; validate?: ValidateFunction }>();

/** The chart's values schema, compiled once per folder (compiling takes a few hundred ms). */
function loadSchema(dir: string): { schema?: Record<string, Json>; validate?: ValidateFunction } {
    let loaded = schemas.get(dir);
    if (!loaded) {
        const file = path.join(dir, "values.schema.json");
        const schema = fs.existsSync(file) ? (withoutExternalRefs(JSON.parse(fs.readFileSync(file, "utf8"))) as Record<string, Json>) : undefined;
        const validate = schema && new Ajv2019({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
        loaded = { schema, validate };
        schemas.set(dir, loaded);
    }
    return loaded;
}

/** Checks `values` against the reference data of `<chart>-<version>`. */
export function checkChartValues(chart: string, version: string, values: unknown): ChartValuesReport {
    const dir = upstreamPath("chart-values", `${chart}-${version}`);
    const defaults = parseYaml(fs.readFileSync(path.join(dir, "values.yaml"), "utf8")) as Json;
    const haFile = path.join(dir, "values-ha.yaml");
    const known = fs.existsSync(haFile) ? mergeValues(defaults, parseYaml(fs.readFileSync(haFile, "utf8")) as Json) : defaults;
    const { schema, validate } = loadSchema(dir);
    const ours = JSON.parse(JSON.stringify(values ?? {})) as Json;
    const report: ChartValuesReport = { unknownKeys: unknownKeys(known, schema, schema, ours, ""), schemaErrors: [], schemaChecked: false };
    if (validate) {
        if (!validate(mergeValues(defaults, ours))) {
            report.schemaErrors = (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? "is invalid"}`);
        }
        report.schemaChecked = true;
    }
    return report;
}

/** The chart name a release input names (`oci://…/nginx-ingress` → `nginx-ingress`). */
export function chartName(chart: string): string {
    return chart.replace(/\/+$/, "").split("/").pop()!;
}
