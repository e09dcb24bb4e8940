/**
 * `npm run bootstrap -- --stack <env> --subscription <id> [--phase owner|runner] [--ci-subject <subject>]`
 * prints the stack's bootstrap as a reviewed-then-run shell script (see bootstrap/script.ts).
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, parseStackConfig } from "../infra/config";
import { readStackConfigFiles } from "../offline/stack-files";
import { stackRequirements } from "./requirements";
import { bootstrapSteps, renderScript, type BootstrapPhase } from "./script";

const PROJECT_ROOT = path.resolve(__dirname, "..");

export function bootstrapScript(argv: string[]): string {
    const { values } = parseArgs({
        args: argv,
        options: {
            stack: { type: "string", default: "dev" },
            subscription: { type: "string" },
            phase: { type: "string", default: "owner" },
            "ci-subject": { type: "string" },
        },
        strict: true,
    });
    const phase = values.phase as BootstrapPhase;
    if (phase !== "owner" && phase !== "runner") throw new Error(`--phase must be owner or runner, not ${values.phase}`);
    const subscription = values.subscription ?? process.env.AZURE_SUBSCRIPTION_ID;
    if (!subscription || !/^[0-9a-f-]{36}$/i.test(subscription)) throw new Error("pass --subscription <subscription ID> (or set AZURE_SUBSCRIPTION_ID)");
    const ciSubject = values["ci-subject"];
    if (phase === "owner" && !ciSubject) throw new Error("pass --ci-subject, the OIDC subject of the deploy job (e.g. repo:<org>/<repo>:environment:<env>)");
    const config = parseStackConfig(readStackConfigFiles(PROJECT_ROOT, values.stack).config);
    const needs = stackRequirements(config, subscription);
    const steps = bootstrapSteps(config, needs, phase, { ciSubject: ciSubject ?? "" });
    return renderScript(steps, `amlmesh bootstrap of stack ${values.stack}, phase ${phase}, subscription ${subscription}`);
}

if (require.main === module) {
    try {
        process.stdout.write(bootstrapScript(process.argv.slice(2)));
    } catch (error) {
        process.stderr.write(`bootstrap: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    }
}
