/**
 * Reads `Pulumi.yaml` and `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI does before it
 * starts the program: project-level defaults first, stack values over them, structured values
 * handed to the program as JSON text.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

export interface StackConfigFiles {
    project: string;
    stackFile: string;
    /** `namespace:key` → value as the engine passes it (PULUMI_CONFIG). */
    config: Record<string, string>;
}

/** Parses YAML strictly (duplicate keys are errors) and reports errors as file:line:column. */
function readYaml(file: string, displayName: string): unknown {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        throw new StackFileError(`${displayName}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    if (document.errors.length > 0) {
        const first = document.errors[0];
        const where = first.linePos ? `${displayName}:${first.linePos[0].line}:${first.linePos[0].col}` : displayName;
        throw new StackFileError(`${where}: YAML syntax error: ${first.message.split("\n")[0]}`);
    }
    return document.toJS();
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
    if (value === null || value === undefined) return {};
    if (typeof value !== "object" || Array.isArray(value)) throw new StackFileError(`${where}: expected a mapping`);
    return value as Record<string, unknown>;
}

/** The engine passes scalars as text and structured values as JSON. */
export function toEngineValue(value: unknown): string {
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

function qualify(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

export function readStackConfigFiles(projectRoot: string, stack: string, configDir?: string): StackConfigFiles {
    const projectFile = readYaml(path.join(projectRoot, "Pulumi.yaml"), "Pulumi.yaml");
    const projectDoc = asRecord(projectFile, "Pulumi.yaml");
    const project = String(projectDoc.name ?? "");
    if (!project) throw new StackFileError("Pulumi.yaml: the project has no name");
    const stackConfigDir = typeof projectDoc.stackConfigDir === "string" ? projectDoc.stackConfigDir : ".";

    const config: Record<string, string> = {};
    for (const [key, declaration] of Object.entries(asRecord(projectDoc.config, "Pulumi.yaml config"))) {
        const declared = typeof declaration === "object" && declaration !== null ? (declaration as Record<string, unknown>) : { default: declaration };
        const fallback = "value" in declared ? declared.value : declared.default;
        if (fallback !== undefined) config[qualify(project, key)] = toEngineValue(fallback);
    }

    const stackFile = configDir ? path.join(configDir, `Pulumi.${stack}.yaml`) : path.join(stackConfigDir, `Pulumi.${stack}.yaml`);
    const stackDoc = asRecord(readYaml(path.resolve(projectRoot, stackFile), stackFile), stackFile);
    const stackConfig = asRecord(stackDoc.config, `${stackFile} config`);
    for (const [key, value] of Object.entries(stackConfig)) {
        const qualified = qualify(project, key);
        if (typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value) {
            if (qualified.startsWith(`${project}:`)) {
                throw new StackFileError(
                    `${stackFile}: ${qualified} is an encrypted (secure:) value; the offline plan cannot decrypt it, and amlmesh config holds no secrets by design`,
                );
            }
            continue; // provider secrets (e.g. azure-native:clientSecret) do not matter offline
        }
        config[qualified] = toEngineValue(value);
    }
    return { project, stackFile, config };
}
