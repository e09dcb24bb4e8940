/**
 * `npm run plan:team -- --project <dir> --stack <name> --platform-plan <file> [--json]`: the
 * offline plan of a team's project, chained to the platform's. The platform plan document
 * (`npm run plan -- --stack prod --json`) supplies the outputs the team's StackReference reads;
 * the team's program is evaluated under the same mocks, and the pack runs with the environment's
 * config plus the team's settings derived from those outputs (teamPolicySettings). Exit 0 when
 * nothing mandatory is violated, 1 otherwise, 2 on bad usage.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { teamPolicySettings } from "@amlmesh/team-sdk";
import { parsePlatformOutputs } from "@amlmesh/team-sdk/kit/outputs-contract";
import type { PolicyReport } from "./document";
import { evaluateProgram } from "./engine";
import { loadEnvironmentPolicyConfig } from "./policy-config";
import { runPolicies } from "./policy-runner";
import { readStackConfigFiles } from "./stack-files";
import { unwrapWire } from "./wire";

const USAGE = "usage: npm run plan:team -- --project <dir> --stack <name> --platform-plan <platform plan JSON> [--json]";

export interface TeamPlanRequest {
    projectDir: string;
    stack: string;
    /** The platform's plan document (`npm run plan -- --stack <env> --json`). */
    platformPlan: { outputs: Record<string, unknown> };
}

export interface TeamPlan {
    project: string;
    resources: { type: string; name: string }[];
    outputs: Record<string, unknown>;
    policy: PolicyReport;
}

export async function planTeamStack(request: TeamPlanRequest): Promise<TeamPlan> {
    // The project is evaluated with this repository's Pulumi SDK (the mocks are set on that copy);
    // a project-local install (npm install before pulumi up) would load another, unmocked one.
    const ownSdk = path.join(request.projectDir, "node_modules", "@pulumi", "pulumi");
    if (existsSync(ownSdk) && realpathSync(ownSdk) !== realpathSync(path.dirname(require.resolve("@pulumi/pulumi/package.json")))) {
        throw new Error(`${path.join(request.projectDir, "node_modules")} holds its own @pulumi/pulumi, which the offline plan cannot mock; remove that node_modules to plan the project here`);
    }
    const files = readStackConfigFiles(request.projectDir, request.stack);
    const platform = parsePlatformOutputs(request.platformPlan.outputs, "the platform plan");
    const platformStack = files.config[`${files.project}:platformStack`];
    const team = files.config[`${files.project}:team`];
    if (!platformStack || !team) throw new Error(`${files.stackFile}: set ${files.project}:platformStack and ${files.project}:team`);
    const evaluation = await evaluateProgram(() => require(path.resolve(request.projectDir, "index.ts")), {
        project: files.project,
        stack: request.stack,
        config: files.config,
        mockContext: { location: platform.location, tenantId: platform.tenantId, stackReferences: { [platformStack]: request.platformPlan.outputs } },
    });
    const policy = await runPolicies(evaluation.resources, {
        environment: platform.environment,
        policyConfig: { ...loadEnvironmentPolicyConfig(platform.environment), ...teamPolicySettings(platform, team) },
    });
    return {
        project: files.project,
        resources: evaluation.resources.map((resource) => ({ type: resource.type, name: resource.name })),
        outputs: unwrapWire(evaluation.outputs) as Record<string, unknown>,
        policy,
    };
}

async function main(): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: process.argv.slice(2),
            options: { project: { type: "string" }, stack: { type: "string" }, "platform-plan": { type: "string" }, json: { type: "boolean", default: false } },
            strict: true,
        }));
    } catch (error) {
        process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (!values.project || !values.stack || !values["platform-plan"]) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    const platformPlan = JSON.parse(readFileSync(values["platform-plan"], "utf8")) as TeamPlanRequest["platformPlan"];
    const plan = await planTeamStack({ projectDir: path.resolve(values.project), stack: values.stack, platformPlan });
    const mandatory = plan.policy.violations.filter((violation) => violation.level === "mandatory");
    if (values.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    else {
        const lines = [`Team stack ${plan.project}/${values.stack}: ${plan.resources.length} resources`];
        for (const resource of plan.resources) lines.push(`  ${resource.type} ${resource.name}`);
        lines.push("Outputs:", ...Object.entries(plan.outputs).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`));
        lines.push(`Policy pack: ${mandatory.length} mandatory, ${plan.policy.violations.length - mandatory.length} advisory violation(s).`);
        for (const violation of plan.policy.violations) lines.push(`  [${violation.level}] ${violation.policy}: ${violation.message}`);
        process.stdout.write(`${lines.join("\n")}\n`);
    }
    return mandatory.length > 0 ? 1 : 0;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error: unknown) => {
            process.stderr.write(`plan:team: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(1);
        },
    );
}
