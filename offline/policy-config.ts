/**
 * Policy pack configuration as `pulumi preview --policy-pack-config <file>` applies it, for the
 * offline runner. Mirrors the CLI's reconciliation (pkg/resource/analyzer/config.go): schema
 * defaults, then the `all` enforcement level, then per-policy entries, then JSON-schema
 * validation. Stricter than the CLI on purpose: an entry naming no policy is an error, because
 * a typo must not silently leave a policy at its default level.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { EnforcementLevel } from "@pulumi/policy";
import Ajv from "ajv";
import type { AmlmeshPolicy } from "../policy/lib/define";
import type { Environment } from "./document";

const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** One entry of a policy config file: a level, or an object with an optional level and settings. */
export type PolicyConfigEntry = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
/** A `--policy-pack-config` file: policy name (or `all`) → entry. */
export type PolicyConfigFile = Record<string, PolicyConfigEntry>;

/** What a policy runs with after reconciliation. */
export interface EffectivePolicyConfig {
    enforcementLevel: EnforcementLevel;
    properties: Record<string, unknown>;
}

export class PolicyConfigError extends Error {
    constructor(source: string, problems: string[]) {
        super(`Invalid policy config ${source}:\n  - ${problems.join("\n  - ")}`);
        this.name = "PolicyConfigError";
    }
}

/** Directory of the shipped per-environment config files (`policy/config/<env>.json`). */
export const POLICY_CONFIG_DIR = path.resolve(__dirname, "..", "policy", "config");

function isEnforcementLevel(value: unknown): value is EnforcementLevel {
    return typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
}

/** Checks the file's shape (not the settings, which depend on the policies) and returns it typed. */
export function parsePolicyConfig(json: unknown, source: string): PolicyConfigFile {
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new PolicyConfigError(source, ["the file must hold a JSON object"]);
    const problems: string[] = [];
    for (const [key, entry] of Object.entries(json)) {
        if (typeof entry === "string") {
            if (!isEnforcementLevel(entry)) problems.push(`${key}: '${entry}' is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
        } else if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) {
            const level = (entry as Record<string, unknown>).enforcementLevel;
            if (level !== undefined && !isEnforcementLevel(level)) problems.push(`${key}.enforcementLevel: '${String(level)}' is not an enforcement level`);
        } else {
            problems.push(`${key}: must be an enforcement level or an object`);
        }
    }
    if (problems.length > 0) throw new PolicyConfigError(source, problems);
    return json as PolicyConfigFile;
}

/** Reads `policy/config/<environment>.json`, the file CI passes with `--policy-pack-config`. */
export function loadEnvironmentPolicyConfig(environment: Environment): PolicyConfigFile {
    const file = path.join(POLICY_CONFIG_DIR, `${environment}.json`);
    return parsePolicyConfig(JSON.parse(readFileSync(file, "utf8")), file);
}

function splitEntry(entry: PolicyConfigEntry): { level?: EnforcementLevel; properties: Record<string, unknown> } {
    if (typeof entry === "string") return { level: entry, properties: {} };
    const { enforcementLevel, ...properties } = entry;
    return { level: enforcementLevel, properties };
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new WeakMap<object, ReturnType<typeof ajv.compile>>();

function validatorFor(policy: AmlmeshPolicy): ReturnType<typeof ajv.compile> {
    const key = policy.configSchema ?? policy;
    let validate = validators.get(key);
    if (!validate) {
        validate = ajv.compile({ type: "object", properties: policy.configSchema?.properties ?? {}, required: policy.configSchema?.required ?? [] });
        validators.set(key, validate);
    }
    return validate;
}

/**
 * The effective level and settings of every policy. `environment` fills the `environment`
 * setting of the policies that declare one; a file that sets a different one is an error.
 */
export function reconcilePolicyConfig(
    policies: readonly AmlmeshPolicy[],
    file: PolicyConfigFile,
    environment: Environment,
    source = "policy config",
): Map<string, EffectivePolicyConfig> {
    const problems: string[] = [];
    const known = new Set(policies.map((policy) => policy.name));
    for (const key of Object.keys(file)) if (key !== "all" && !known.has(key)) problems.push(`${key}: no policy of that name in the pack`);

    const all = file.all === undefined ? undefined : splitEntry(file.all).level;
    const result = new Map<string, EffectivePolicyConfig>();
    for (const policy of policies) {
        const properties: Record<string, unknown> = {};
        for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
            if (typeof schema === "object" && schema.default !== undefined) properties[key] = structuredClone(schema.default);
        }
        let enforcementLevel = all ?? policy.enforcementLevel;
        const entry = file[policy.name];
        if (entry !== undefined) {
            const given = splitEntry(entry);
            if (given.level) enforcementLevel = given.level;
            Object.assign(properties, given.properties);
        }
        if (policy.configSchema?.properties?.environment !== undefined) {
            if (properties.environment === undefined) properties.environment = environment;
            else if (properties.environment !== environment) {
                problems.push(`${policy.name}.environment is '${String(properties.environment)}' but the stack under check is ${environment}`);
            }
        }
        const validate = validatorFor(policy);
        if (!validate(properties)) {
            for (const error of validate.errors ?? []) problems.push(`${policy.name}${error.instancePath.replace(/\//g, ".")}: ${error.message ?? "invalid"}`);
        }
        result.set(policy.name, { enforcementLevel, properties });
    }
    if (problems.length > 0) throw new PolicyConfigError(source, problems);
    return result;
}
