/**
 * `npm run preflight -- --stack <env> --subscription <id>`: checks a stack's prerequisites with
 * the deployer's Azure credentials before `pulumi up`, prints what is missing with the command
 * that fixes it, and exits 1 if anything is.
 *
 * Credentials come from `DefaultAzureCredential` (@azure/identity): the same chain kubelogin and
 * the Pulumi provider use (workload identity federation in CI, managed identity on the runner,
 * the Azure CLI locally), so the preflight sees exactly what `pulumi up` will.
 */
import { connect } from "node:net";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DefaultAzureCredential } from "@azure/identity";
import { stackRequirements } from "../bootstrap/requirements";
import { ConfigError, parseStackConfig } from "../infra/config";
import { readStackConfigFiles } from "../offline/stack-files";
import { AZURE_PUBLIC_ENDPOINTS } from "./azure-http";
import { PreflightStop, runPreflight, type CheckResult } from "./checks";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const MARK: Record<CheckResult["status"], string> = { pass: "ok  ", warn: "warn", fail: "FAIL" };

/** Opens a TCP connection to host:port and closes it; rejects after 5 s. */
export function tcpProbe(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
        const socket = connect({ host, port, timeout: 5000 });
        socket.once("connect", () => {
            socket.destroy();
            resolve();
        });
        socket.once("timeout", () => {
            socket.destroy();
            reject(new Error("timed out after 5 s"));
        });
        socket.once("error", (error) => reject(error));
    });
}

export function renderResults(results: CheckResult[]): string {
    const lines: string[] = [];
    for (const result of results) {
        lines.push(`[${MARK[result.status]}] ${result.check}`);
        for (const message of result.messages) lines.push(`       ${message}`);
        for (const fix of result.fixes) lines.push(`       fix: ${fix}`);
    }
    const failed = results.filter((r) => r.status === "fail").length;
    lines.push(failed === 0 ? "preflight passed: pulumi up may run" : `preflight failed: ${failed} of ${results.length} checks; fix them before pulumi up`);
    return lines.join("\n");
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: { stack: { type: "string", default: "dev" }, subscription: { type: "string" } },
        strict: true,
    });
    const subscriptionId = values.subscription ?? process.env.AZURE_SUBSCRIPTION_ID;
    if (!subscriptionId) {
        process.stderr.write("preflight: pass --subscription <id> or set AZURE_SUBSCRIPTION_ID\n");
        return 2;
    }
    const stack = values.stack;
    const config = parseStackConfig(readStackConfigFiles(PROJECT_ROOT, stack).config);
    const credential = new DefaultAzureCredential();
    const results = await runPreflight({
        requirements: stackRequirements(config, subscriptionId),
        tenantId: config.tenantId,
        environment: config.environment,
        endpoints: AZURE_PUBLIC_ENDPOINTS,
        tokens: async (scope) => {
            const token = await credential.getToken(scope);
            if (!token) throw new Error(`no token for ${scope}`);
            return token.token;
        },
        connect: tcpProbe,
    });
    process.stdout.write(`${renderResults(results)}\n`);
    return results.some((r) => r.status === "fail") ? 1 : 0;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error: unknown) => {
            if (error instanceof PreflightStop) {
                process.stderr.write(`preflight stopped: ${error.message}\n${error.fixes.map((fix) => `  fix: ${fix}\n`).join("")}`);
            } else if (error instanceof ConfigError) {
                process.stderr.write(`${error.message}\n`);
            } else {
                process.stderr.write(`preflight: ${error instanceof Error ? error.message : String(error)}\n`);
            }
            process.exit(1);
        },
    );
}
