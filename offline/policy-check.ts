/**
 * `npm run policy:check -- <file> [--json] [--env <environment>] [--config <policy-config.json>]`
 *
 * Runs the CrossGuard pack, offline and without credentials, over an offline plan document, a
 * `pulumi preview --json` output or a `pulumi stack export` file. Exit codes: 0 no mandatory
 * violation, 1 at least one mandatory violation, 2 bad input (unreadable file, unknown format,
 * unknown environment, invalid policy config), 3 an internal error (a policy crashed).
 */
import "./lean-startup"; // first: trims SDK start-up before @pulumi/pulumi loads
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ENVIRONMENTS, isEnvironment } from "../policy/lib/settings";
import type { Environment, PolicyReport } from "./document";
import { parsePolicyConfig, PolicyConfigError, type PolicyConfigFile } from "./policy-config";
import { runPolicies } from "./policy-runner";
import { DOCUMENT_KIND_LABELS, DocumentError, readResourceDocument, type ResourceDocument } from "./resource-documents";

const USAGE = "usage: npm run policy:check -- <file> [--json] [--env dev|staging|prod] [--config <policy-config.json>]";

export const EXIT = { ok: 0, mandatoryViolations: 1, badInput: 2, internalError: 3 } as const;

/** Bad input: reported with its message and exit code 2. */
class InputError extends Error {}

export interface CheckOutput {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
}

interface EnvironmentChoice {
    environment: Environment;
    source: string;
}

function chooseEnvironment(document: ResourceDocument, requested: string | undefined): EnvironmentChoice {
    if (requested !== undefined) {
        if (!isEnvironment(requested)) throw new InputError(`--env must be one of ${ENVIRONMENTS.join(", ")} (got '${requested}').`);
        return { environment: requested, source: "--env" };
    }
    if (document.environment) return { environment: document.environment, source: "the plan document" };
    if (isEnvironment(document.stack)) return { environment: document.stack, source: `the stack name '${document.stack}' in the URNs` };
    throw new InputError(
        `Cannot tell the environment: the stack name in the URNs is ${document.stack ? `'${document.stack}'` : "missing"}, not dev, staging or prod. Pass --env.`,
    );
}

function readJson(file: string): unknown {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        throw new InputError(`Cannot read ${file}: ${(error as Error).message}`);
    }
    try {
        return JSON.parse(text);
    } catch (error) {
        throw new InputError(`${file} is not JSON: ${(error as Error).message}`);
    }
}

/** Not-applicable verdicts worth showing: not the engine's routine "only applies to type X". */
function informativeNotApplicable(report: PolicyReport) {
    return report.notApplicable.filter((entry) => !entry.reason.startsWith("Policy only applies to"));
}

function renderText(file: string, document: ResourceDocument, choice: EnvironmentChoice, report: PolicyReport): string {
    const mandatory = report.violations.filter((violation) => violation.level === "mandatory");
    const lines = [
        `Policy check of ${file} (${DOCUMENT_KIND_LABELS[document.kind]}, ${document.resources.length} resources)`,
        `Environment: ${choice.environment} (from ${choice.source}); pack ${report.pack}@${report.version}`,
        `${mandatory.length} mandatory, ${report.violations.length - mandatory.length} advisory violation(s).`,
    ];
    for (const violation of report.violations) {
        lines.push("", `${violation.level.toUpperCase()} [${violation.severity}] ${violation.policy}`, `  ${violation.urn}`);
        for (const line of violation.message.split("\n")) lines.push(`  ${line}`);
    }
    const notApplicable = informativeNotApplicable(report);
    if (notApplicable.length > 0) {
        lines.push("", "Not applicable:");
        for (const entry of notApplicable) lines.push(`  ${entry.policy}: ${entry.reason}${/::pulumi:pulumi:Stack::/.test(entry.urn) ? "" : ` (${entry.urn})`}`);
    }
    const violated = report.controls.filter((control) => control.violatedBy.length > 0);
    lines.push("", `Controls covered: ${report.controls.length} (${report.controls.length - violated.length} without violations)`);
    for (const control of report.controls) {
        const status = control.violatedBy.length > 0 ? `VIOLATED by ${control.violatedBy.join(", ")}` : "ok";
        lines.push(`  ${control.framework} ${control.control}: ${status} (${control.policies.length} ${control.policies.length === 1 ? "policy" : "policies"})`);
    }
    return lines.join("\n");
}

function renderJson(file: string, document: ResourceDocument, choice: EnvironmentChoice, report: PolicyReport): string {
    const mandatory = report.violations.filter((violation) => violation.level === "mandatory").length;
    return JSON.stringify(
        {
            file,
            format: document.kind,
            stack: document.stack ?? null,
            environment: choice.environment,
            environmentSource: choice.source,
            pack: report.pack,
            version: report.version,
            summary: { resources: document.resources.length, mandatory, advisory: report.violations.length - mandatory },
            violations: report.violations.map(({ policy, level, severity, urn, message }) => ({ policy, level, severity, urn, message })),
            notApplicable: informativeNotApplicable(report),
            controls: report.controls,
            enforcementLevels: report.enforcementLevels,
        },
        null,
        2,
    );
}

/** The whole check; returns the exit code (the CLI wrapper below exits with it). */
export async function runCheck(argv: readonly string[], output: CheckOutput): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args: [...argv],
            allowPositionals: true,
            options: { json: { type: "boolean", default: false }, env: { type: "string" }, config: { type: "string" }, help: { type: "boolean", short: "h" } },
        });
    } catch (error) {
        output.stderr(`${(error as Error).message}\n${USAGE}`);
        return EXIT.badInput;
    }
    if (parsed.values.help) {
        output.stdout(USAGE);
        return EXIT.ok;
    }
    if (parsed.positionals.length !== 1) {
        output.stderr(`Expected exactly one document file.\n${USAGE}`);
        return EXIT.badInput;
    }
    const file = parsed.positionals[0];
    let document: ResourceDocument;
    let choice: EnvironmentChoice;
    let policyConfig: PolicyConfigFile | undefined;
    try {
        document = readResourceDocument(readJson(file));
        choice = chooseEnvironment(document, parsed.values.env);
        if (parsed.values.config !== undefined) policyConfig = parsePolicyConfig(readJson(parsed.values.config), parsed.values.config);
    } catch (error) {
        if (error instanceof InputError || error instanceof DocumentError || error instanceof PolicyConfigError) {
            output.stderr(`policy:check: ${error.message}`);
            return EXIT.badInput;
        }
        throw error;
    }
    let report: PolicyReport;
    try {
        report = await runPolicies(document.resources, { environment: choice.environment, policyConfig });
    } catch (error) {
        if (error instanceof PolicyConfigError) {
            output.stderr(`policy:check: ${error.message}`);
            return EXIT.badInput;
        }
        output.stderr(`policy:check: a policy failed to run: ${(error as Error).stack ?? String(error)}`);
        return EXIT.internalError;
    }
    output.stdout(parsed.values.json ? renderJson(file, document, choice, report) : renderText(file, document, choice, report));
    return report.violations.some((violation) => violation.level === "mandatory") ? EXIT.mandatoryViolations : EXIT.ok;
}

if (require.main === module) {
    runCheck(process.argv.slice(2), { stdout: (text) => console.log(text), stderr: (text) => console.error(text) }).then(
        (code) => {
            process.exitCode = code;
        },
        (error: unknown) => {
            console.error(error);
            process.exitCode = EXIT.internalError;
        },
    );
}
