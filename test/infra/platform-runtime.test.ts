/**
 * Runtime findings of issue 14 (6-14), pinned over the evaluated stacks: what the real program
 * declares for each shipped stack file under the mocks, and the dependency graph the plan records.
 */
import * as assert from "node:assert/strict";
import { runStack, type PlannedStack, type TestResource } from "../harness";

type Env = "dev" | "staging" | "prod";
const ENVIRONMENTS: Env[] = ["dev", "staging", "prod"];

/** True when `from` reaches `to` through recorded dependencies (the plan's graph, transitively). */
function reaches(stack: PlannedStack, from: TestResource, to: TestResource): boolean {
    const seen = new Set<string>();
    const queue = [from.urn];
    while (queue.length > 0) {
        const urn = queue.pop()!;
        if (urn === to.urn) return true;
        if (seen.has(urn)) continue;
        seen.add(urn);
        const resource = stack.byUrnOf(urn);
        if (!resource) continue;
        queue.push(...resource.captured.dependencies, ...Object.values(resource.captured.propertyDependencies).flat());
    }
    return false;
}

const stacks = new Map<Env, PlannedStack>();
async function stackFor(env: Env): Promise<PlannedStack> {
    let found = stacks.get(env);
    if (!found) {
        found = await runStack(env);
        stacks.set(env, found);
    }
    return found;
}

describe("issue 14: the platform keeps working after the first deploy", function () {
    this.timeout(120_000);

    describe("finding 8: the ingress release waits for its federated credential", () => {
        for (const env of ENVIRONMENTS) {
            it(`${env}: the NGINX release depends on the credential federating its ServiceAccount`, async () => {
                const stack = await stackFor(env);
                const release = stack.one("kubernetes:helm.sh/v3:Release", "nginx-ingress");
                const credential = stack
                    .ofType("azure-native:managedidentity:FederatedIdentityCredential")
                    .find((resource) => resource.input("subject") === "system:serviceaccount:nginx-ingress:nginx-ingress");
                assert.ok(credential, "no federated credential for the ingress ServiceAccount");
                assert.ok(reaches(stack, release, credential), "the release can start before Entra trusts its ServiceAccount");
            });
        }
    });
});
