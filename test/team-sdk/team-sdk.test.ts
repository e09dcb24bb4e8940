/**
 * The team SDK against the prod platform plan's outputs: PlatformReference reads them through a
 * (mocked) StackReference and checks the contract; ModelService publishes a model that the pack
 * (with the team's policy config from those outputs) and the prod stack's admission policies
 * accept, and refuses what would not be safe.
 */
import * as assert from "node:assert/strict";
import { ModelService, PlatformReference, teamPolicySettings, type ModelServiceArgs, type PlatformOutputsDocument } from "@amlmesh/team-sdk";
import { parsePlatformOutputs } from "@amlmesh/team-sdk/kit/outputs-contract";
import { loadEnvironmentPolicyConfig } from "../../offline/policy-config";
import { PlatformMocks } from "../../offline/mocks";
import { runComponents, type PlannedStack } from "../harness";
import { plannedStack } from "../infra/azure-stacks";
import { admit, declaredAdmissionPolicies, type DeclaredAdmissionPolicy } from "../support/admission";
import { check } from "../policy/helpers";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- captured inputs

const PLATFORM_STACK = "organization/amlmesh/prod";
const IMAGE = `crfraud.azurecr.io/fraud/scorer@sha256:${"ab".repeat(32)}`;

/** Runs `body` with StackReference `PLATFORM_STACK` resolving to `outputs` (secret ones named). */
async function withPlatformOutputs<T>(outputs: Record<string, unknown>, secretOutputNames: string[], body: () => Promise<T>): Promise<T> {
    const original = PlatformMocks.prototype.newResource;
    PlatformMocks.prototype.newResource = function (this: PlatformMocks, args) {
        if (args.type === "pulumi:pulumi:StackReference") return { id: String(args.inputs.name), state: { outputs, secretOutputNames } };
        return original.call(this, args);
    };
    try {
        return await body();
    } finally {
        PlatformMocks.prototype.newResource = original;
    }
}

describe("team SDK", () => {
    let platform: PlatformOutputsDocument;
    let raw: Record<string, unknown>;
    let admission: DeclaredAdmissionPolicy[];
    const args = (overrides: Partial<ModelServiceArgs> = {}): ModelServiceArgs => ({
        platformStack: PLATFORM_STACK,
        team: "fraud",
        path: "/teams/fraud/score",
        image: IMAGE,
        port: 8080,
        serviceAccount: "fraud-scorer",
        roles: ["Model.Invoke"],
        ...overrides,
    });

    before(async () => {
        const stack = await plannedStack("prod");
        raw = stack.outputs;
        platform = parsePlatformOutputs(raw);
        admission = declaredAdmissionPolicies(stack);
    });

    describe("PlatformReference", () => {
        it("reads the platform's outputs as the typed contract, and finds the team", async () => {
            let read: PlatformOutputsDocument | undefined;
            await withPlatformOutputs(raw, [], () =>
                runComponents(async () => {
                    const reference = new PlatformReference(PLATFORM_STACK);
                    read = await reference.outputs();
                    assert.equal((await reference.team("fraud")).prefixes[0].delegatedTo, "fraud-models/fraud-edge");
                    await assert.rejects(reference.team("risk"), /has not onboarded team "risk" \(onboarded: fraud\)/);
                }),
            );
            assert.deepEqual(read, platform);
        });

        it("refuses another schema version naming both, and secret outputs", async () => {
            await withPlatformOutputs({ ...raw, schemaVersion: 1 }, [], () =>
                runComponents(async () => {
                    await assert.rejects(new PlatformReference(PLATFORM_STACK).outputs(), /platform stack organization\/amlmesh\/prod exports outputs with schemaVersion 1, but this consumer understands schemaVersion 2 only/);
                }),
            );
            await withPlatformOutputs(raw, ["edge"], () =>
                runComponents(async () => {
                    await assert.rejects(new PlatformReference(PLATFORM_STACK).outputs(), /exports edge as a secret/);
                }),
            );
            assert.throws(() => new PlatformReference("amlmesh-prod"), /<organization>\/<project>\/<stack>/);
        });
    });

    describe("ModelService", () => {
        let planned: PlannedStack;
        before(async () => {
            planned = await withPlatformOutputs(raw, [], () =>
                runComponents(() => new ModelService("fraud-scorer", args({ callers: [{ namespace: "features", serviceAccount: "feature-api" }] })), { stack: "prod" }),
            );
        });

        it("passes the pack with the team's policy settings taken from the platform outputs (teamPolicySettings)", async () => {
            const report = await check(planned.evaluation.resources, "prod", { ...loadEnvironmentPolicyConfig("prod"), ...teamPolicySettings(platform, "fraud") });
            assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => [v.policy, v.message]), []);
        });

        it("declares only what the prod stack's admission policies admit in the team namespace", () => {
            const labels = { "platform.amlmesh.io/team": "fraud" };
            const kinds: Record<string, { group: string; resource: string }> = {
                "kubernetes:k8s.nginx.org/v1:Policy": { group: "k8s.nginx.org", resource: "policies" },
                "kubernetes:k8s.nginx.org/v1:VirtualServerRoute": { group: "k8s.nginx.org", resource: "virtualserverroutes" },
                "kubernetes:core/v1:Service": { group: "", resource: "services" },
                "kubernetes:policy.linkerd.io/v1beta3:Server": { group: "policy.linkerd.io", resource: "servers" },
                "kubernetes:policy.linkerd.io/v1alpha1:AuthorizationPolicy": { group: "policy.linkerd.io", resource: "authorizationpolicies" },
            };
            let checked = 0;
            for (const resource of planned.resources) {
                const kind = kinds[resource.type];
                const pod = resource.type === "kubernetes:apps/v1:Deployment" ? (resource.inputs as Obj).spec.template : undefined;
                if (!kind && !pod) continue;
                const verdict = admit(admission, {
                    operation: "CREATE",
                    group: kind?.group ?? "",
                    version: resource.type.split(":")[1].split("/").pop()!,
                    resource: kind?.resource ?? "pods",
                    namespace: "fraud-models",
                    namespaceLabels: labels,
                    object: (pod ?? resource.inputs) as Obj,
                });
                assert.deepEqual(verdict.denials, [], resource.name);
                checked++;
            }
            assert.equal(checked, 8, "three NGINX objects, the Service, the pod template, the Server and both AuthorizationPolicies");
        });

        it("publishes on the delegated route, federated with the team identity, admitting the edge and the named callers", () => {
            const [team] = platform.teams;
            const route = planned.one("kubernetes:k8s.nginx.org/v1:VirtualServerRoute");
            assert.equal(route.input("metadata.name"), "fraud-edge");
            assert.equal(route.input("metadata.namespace"), "fraud-models");
            const account = planned.one("kubernetes:core/v1:ServiceAccount");
            assert.equal(account.input(["metadata", "annotations", "azure.workload.identity/client-id"]), team.identity.clientId);
            const policies = planned.ofType("kubernetes:policy.linkerd.io/v1alpha1:MeshTLSAuthentication").map((r) => r.input("spec.identityRefs"));
            assert.deepEqual(policies.sort(), [
                [{ kind: "ServiceAccount", name: "feature-api", namespace: "features" }],
                [{ kind: "ServiceAccount", name: platform.edge.ingressIdentity.serviceAccount, namespace: platform.edge.ingressIdentity.namespace }],
            ].sort());
        });

        it("refuses what would not be safe, saying why", async () => {
            const refused = (overrides: Partial<ModelServiceArgs>, message: RegExp) =>
                assert.rejects(withPlatformOutputs(raw, [], () => runComponents(() => new ModelService("fraud-scorer", args(overrides)))), message);
            await refused({ serviceAccount: "other" }, /fraud-models\/other is not federated with team fraud's identity/);
            await refused({ roles: ["Admin"] }, /role Admin is not an app role/);
            await refused({ roles: [] }, /at least one role/);
            await refused({ image: "crfraud.azurecr.io/fraud/scorer:latest" }, /not pinned/);
            await refused({ path: "/models/churn" }, /outside the team's prefix \/teams\/fraud/);
            await refused({ team: "risk" }, /team risk is not onboarded/);
            await refused({ replicas: 1 }, /prod runs at least 2 replicas/);
            // The edge delegates the prefix to one VirtualServerRoute: a second service there is refused, by name.
            await assert.rejects(
                withPlatformOutputs(raw, [], () =>
                    runComponents(() => {
                        new ModelService("fraud-scorer", args());
                        new ModelService("fraud-ranker", args({ path: "/teams/fraud/rank" }));
                    }),
                ),
                /prefix \/teams\/fraud is already published by ModelService fraud-(scorer|ranker); the edge delegates a prefix to one VirtualServerRoute \(fraud-models\/fraud-edge\)/,
            );
        });
    });
});
