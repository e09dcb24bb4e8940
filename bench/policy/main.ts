/**
 * `npm run bench:policy`: how long the CrossGuard pack takes over real plans, offline.
 *
 * For each shipped stack it evaluates the program once under mocks, then runs the pack over the
 * evaluated resources BENCH_ROUNDS times (default 7) and prints the median, next to a baseline
 * run in the same process: the same resources through the same engine with no policies (the
 * engine's own cost: unknown-value proxies, serialisation, notApplicable handling). The ratio
 * says what the rules themselves add. A synthetic 600-resource stack (100 copies of six resource
 * kinds) shows how it scales past the shipped stacks.
 */
import "../../offline/lean-startup";
import { performance } from "node:perf_hooks";
import type { EnvironmentName } from "../../infra/config";
import type { CapturedResource } from "../../offline/document";
import { evaluateStack } from "../../offline/evaluate-stack";
import { runPolicies } from "../../offline/policy-runner";
import { readStackConfigFiles } from "../../offline/stack-files";
import { cluster, deployment, storage, T, vault } from "../../test/policy/fixtures";
import { resource } from "../../test/policy/helpers";

const PROJECT_ROOT = `${__dirname}/../..`;
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS must be a positive integer, got ${process.env.BENCH_ROUNDS}`);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timeRuns(resources: CapturedResource[], environment: EnvironmentName, withPolicies: boolean): Promise<number> {
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
        const started = performance.now();
        await runPolicies(resources, { environment, ...(withPolicies ? {} : { policies: [], policyConfig: {} }) });
        times.push(performance.now() - started);
    }
    return median(times);
}

function syntheticStack(): CapturedResource[] {
    const resources = [resource(T.stack, "amlmesh-prod", {}, { custom: false })];
    for (let index = 0; index < 100; index++) {
        resources.push(storage(`st${index}`), vault(`kv${index}`), cluster(`aks${index}`), deployment(`app${index}`, "models"));
        resources.push(resource(T.release, `chart${index}`, { chart: "oci://ghcr.io/nginx/charts/nginx-ingress", namespace: "edge", values: { controller: { replicaCount: 3 } } }));
        resources.push(resource(T.roleAssignment, `ra${index}`, { principalId: "p", roleDefinitionId: "r", scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv" }));
    }
    return resources;
}

async function main(): Promise<void> {
    const rows: string[][] = [["stack", "resources", "pack (median ms)", "engine only (ms)", "pack / engine", "resources per s"]];
    const cases: { name: string; environment: EnvironmentName; resources: () => Promise<CapturedResource[]> }[] = [
        ...(["dev", "staging", "prod"] as const).map((stack) => ({
            name: stack,
            environment: stack,
            resources: async () => {
                const files = readStackConfigFiles(PROJECT_ROOT, stack);
                return (await evaluateStack(files.config, { project: files.project, stack })).resources;
            },
        })),
        { name: "synthetic", environment: "prod", resources: async () => syntheticStack() },
    ];
    for (const entry of cases) {
        const resources = await entry.resources();
        await runPolicies(resources, { environment: entry.environment }); // warm-up
        const pack = await timeRuns(resources, entry.environment, true);
        const engine = await timeRuns(resources, entry.environment, false);
        rows.push([entry.name, String(resources.length), pack.toFixed(1), engine.toFixed(1), `${(pack / engine).toFixed(2)}×`, String(Math.round((resources.length / pack) * 1000))]);
    }
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    console.log(`policy pack over evaluated plans, ${rounds} rounds each, Node ${process.versions.node}`);
    for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join("  "));
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
