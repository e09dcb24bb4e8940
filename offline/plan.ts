/**
 * `npm run plan -- [--stack <name>] [--json]`: what `pulumi preview --policy-pack ./policy`
 * would show, without Azure, Kubernetes or the Pulumi CLI.
 *
 * It reads the project and stack files like the CLI, evaluates the real program (infra/) under
 * mocks, runs the CrossGuard pack over every captured resource with the stack environment's
 * policy config, and prints a summary (or one JSON document). Exit status: 0 clean, 1 config
 * error or mandatory policy violation, 2 bad usage. One stack per process: the SDK is global.
 */
import "./lean-startup"; // first: trims SDK start-up before @pulumi/pulumi loads
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, type EnvironmentName } from "../infra/config";
import { ProgramFailure } from "./engine";
import { evaluateStack } from "./evaluate-stack";
import { toPlanDocument, renderPlanSummary } from "./plan-document";
import { renderPlanMarkdown } from "./plan-markdown";
import { runPolicies } from "./policy-runner";
import { readStackConfigFiles, StackFileError } from "./stack-files";

const PROJECT_ROOT = path.resolve(__dirname, "..");

const USAGE = `usage: npm run plan -- [--stack dev|staging|prod] [--json | --markdown]

Evaluates the amlmesh program for a stack under mocks (no Azure account, no Pulumi CLI),
runs the policy pack over the result and prints what a preview would create.
  --stack <name>       stack to plan (stacks/Pulumi.<name>.yaml); default dev
  --json               print one JSON document instead of the summary
  --markdown           print Markdown with a Mermaid diagram of who may call what
  --config-dir <dir>   read Pulumi.<name>.yaml from <dir> instead of stacks/`;

export interface PlanRequest {
    stack: string;
    json: boolean;
    /** Print the Markdown form (job summaries, pull-request comments); ignored with `json`. */
    markdown?: boolean;
    /** Folder holding `Pulumi.<stack>.yaml`; defaults to the project's stackConfigDir. */
    configDir?: string;
}

export interface PlanResult {
    exitCode: number;
    stdout: string;
    stderr: string;
}

/** Plans one stack and returns what the CLI would print. Used in-process by tests. */
export async function planStack(request: PlanRequest): Promise<PlanResult> {
    try {
        const files = readStackConfigFiles(PROJECT_ROOT, request.stack, request.configDir);
        const raw = files.config;
        const evaluation = await evaluateStack(raw, { project: files.project, stack: request.stack });
        const environment = raw["amlmesh:environment"] as EnvironmentName;
        const report = await runPolicies(evaluation.resources, { environment });
        const document = toPlanDocument(evaluation, { project: files.project, stack: request.stack, environment }, {
            pack: report.pack,
            version: report.version,
            violations: report.violations,
        });

        const stdout = request.json
            ? `${JSON.stringify(document, null, 2)}\n`
            : `${request.markdown ? renderPlanMarkdown(document) : renderPlanSummary(document)}\n`;
        const mandatory = document.policy.violations.filter((violation) => violation.level === "mandatory");
        if (mandatory.length > 0) {
            return {
                exitCode: 1,
                stdout,
                stderr: `plan: ${mandatory.length} mandatory policy violation(s) in stack '${request.stack}'; a deployment would be refused.\n`,
            };
        }
        return { exitCode: 0, stdout, stderr: "" };
    } catch (error) {
        return { exitCode: 1, stdout: "", stderr: describeFailure(error) };
    }
}

/** Config problems are the user's to fix: print them plainly, without a stack trace. */
function describeFailure(failure: unknown): string {
    const error = failure instanceof ProgramFailure ? failure.cause : failure;
    if (error instanceof ConfigError || error instanceof StackFileError) return `plan: ${error.message}\n`;
    return `plan: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
}

function parseCommandLine(argv: string[]): PlanRequest | { usage: string; exitCode: number } {
    try {
        const { values } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string", short: "s", default: "dev" },
                json: { type: "boolean", default: false },
                markdown: { type: "boolean", default: false },
                "config-dir": { type: "string" },
                help: { type: "boolean", short: "h", default: false },
            },
            strict: true,
            allowPositionals: false,
        });
        if (values.help) return { usage: USAGE, exitCode: 0 };
        if (!/^[A-Za-z0-9_.-]+$/.test(values.stack!)) return { usage: `plan: '${values.stack}' is not a stack name\n\n${USAGE}`, exitCode: 2 };
        if (values.json && values.markdown) return { usage: `plan: choose one of --json and --markdown\n\n${USAGE}`, exitCode: 2 };
        return { stack: values.stack!, json: values.json!, markdown: values.markdown, configDir: values["config-dir"] };
    } catch (error) {
        return { usage: `${(error as Error).message}\n\n${USAGE}`, exitCode: 2 };
    }
}

async function main(): Promise<number> {
    const request = parseCommandLine(process.argv.slice(2));
    if ("usage" in request) {
        (request.exitCode === 0 ? process.stdout : process.stderr).write(`${request.usage}\n`);
        return request.exitCode;
    }
    const result = await planStack(request);
    // Exit only once the output has reached the pipe: process.exit() drops pending writes.
    await new Promise<void>((resolve) => process.stdout.write(result.stdout, () => resolve()));
    await new Promise<void>((resolve) => process.stderr.write(result.stderr, () => resolve()));
    return result.exitCode;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error: unknown) => {
            process.stderr.write(describeFailure(error));
            process.exit(1);
        },
    );
}
