/**
 * The pack on a team's stack. The good team stack is what the platform's own ProtectedRoute
 * declares for a route under the team's prefix (the edge as the prod plan declares it); each
 * bad stack changes one thing. Where the rule can be expressed at admission, the prod stack's
 * admission policies (evaluated with CEL) refuse the same objects.
 */
import * as assert from "node:assert/strict";
import { teamPolicySettings } from "@amlmesh/team-sdk";
import type { PlatformOutputsDocument } from "@amlmesh/team-sdk/kit/outputs-contract";
import type { CapturedResource, PolicyReport } from "../../offline/document";
import { loadEnvironmentPolicyConfig } from "../../offline/policy-config";
import { DEFAULT_PLATFORM_AUTHORIZER } from "../../policy/rules/tenancy";
import { CLUSTER_NAMES } from "../../infra/cluster-services";
import { plannedStack } from "../infra/azure-stacks";
import { admit, declaredAdmissionPolicies, type AdmissionRequest, type DeclaredAdmissionPolicy } from "../support/admission";
import { teamRouteFromPlatform } from "../support/team-route";
import { check, resource, violationsOf } from "./helpers";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- captured inputs are edited freely

const TEAM_RULES = ["team-route-guarded", "team-route-within-prefix", "edge-upstream-same-namespace", "kubernetes-no-cluster-rbac", "mesh-namespace-declared-meshed"];

describe("policy: team stacks", () => {
    let outputs: PlatformOutputsDocument;
    let good: CapturedResource[];
    let admission: DeclaredAdmissionPolicy[];
    let teamNamespace: { name: string; labels: Record<string, string> };

    /** The team's policy config: the prod file plus what the platform outputs say about the team. */
    const teamPolicyConfig = () => ({ ...loadEnvironmentPolicyConfig("prod"), ...teamPolicySettings(outputs, outputs.teams[0].name) });
    const checkTeam = (resources: CapturedResource[]): Promise<PolicyReport> => check(resources, "prod", teamPolicyConfig());
    const mandatory = (report: PolicyReport) => report.violations.filter((v) => v.level === "mandatory");

    before(async () => {
        const stack = await plannedStack("prod");
        admission = declaredAdmissionPolicies(stack);
        const fixture = await teamRouteFromPlatform(stack);
        outputs = fixture.outputs;
        teamNamespace = { name: fixture.namespace.name, labels: fixture.namespace.labels };
        good = fixture.route.evaluation.resources;
    });

    const edit = (resources: CapturedResource[], match: (r: CapturedResource) => boolean, change: (inputs: Obj) => void): CapturedResource[] =>
        resources.map((r) => {
            if (!match(r)) return r;
            const inputs = structuredClone(r.inputs) as Obj;
            change(inputs);
            return { ...r, inputs };
        });
    const isRoute = (r: CapturedResource) => r.type === "kubernetes:k8s.nginx.org/v1:VirtualServerRoute";
    const isAuthPolicy = (r: CapturedResource) => r.type === "kubernetes:k8s.nginx.org/v1:Policy" && r.name.endsWith("-authz");
    const routeOf = (resources: CapturedResource[]) => resources.find(isRoute)!;

    /** Runs the resources' NGINX objects through the prod stack's admission policies. */
    const admitted = (resources: CapturedResource[]): boolean =>
        resources
            .filter((r) => r.type.startsWith("kubernetes:k8s.nginx.org/v1:"))
            .every((r) => {
                const kind = r.type.split(":").pop()!;
                const request: AdmissionRequest = {
                    operation: "CREATE",
                    group: "k8s.nginx.org",
                    version: "v1",
                    resource: kind === "Policy" ? "policies" : "virtualserverroutes",
                    namespace: teamNamespace.name,
                    namespaceLabels: teamNamespace.labels,
                    object: r.inputs as Obj,
                };
                return admit(admission, request).allowed;
            });

    const assertRefused = async (resources: CapturedResource[], policy: string, message: RegExp, atAdmission: boolean) => {
        const report = await checkTeam(resources);
        const found = violationsOf(report, policy);
        assert.ok(found.some((v) => v.level === "mandatory" && message.test(v.message)), `${policy} ~ ${message}: ${JSON.stringify(mandatory(report).map((v) => [v.policy, v.message]))}`);
        if (atAdmission) assert.equal(admitted(resources), false, "the admission policies refuse it too");
    };

    it("the defaults name the platform's authorizer", () => {
        assert.equal(DEFAULT_PLATFORM_AUTHORIZER, `${CLUSTER_NAMES.authorizerNamespace}/${CLUSTER_NAMES.authorizerNamespace}`);
        assert.equal(outputs.edge.authorizer.authServiceName, DEFAULT_PLATFORM_AUTHORIZER);
    });

    it("stays quiet on the good team stack, which the admission policies admit", async () => {
        const report = await checkTeam(good);
        assert.deepEqual(mandatory(report), []);
        for (const rule of ["team-route-guarded", "team-route-within-prefix", "edge-upstream-same-namespace"]) {
            assert.ok(!report.notApplicable.some((n) => n.policy === rule), `${rule} evaluated the team stack`);
        }
        assert.ok(admitted(good));
    });

    it("refuses a stack that publishes without auth", async () => {
        const withoutAuth = edit(good, isRoute, (i) => (i.spec.subroutes[0].policies = i.spec.subroutes[0].policies.filter((p: Obj) => !p.name.endsWith("-authz"))));
        await assertRefused(withoutAuth, "team-route-guarded", /no externalAuth Policy naming the platform authorizer/, true);
    });

    it("refuses a stack that publishes without a rate limit", async () => {
        const withoutLimit = edit(good, isRoute, (i) => (i.spec.subroutes[0].policies = i.spec.subroutes[0].policies.filter((p: Obj) => !p.name.endsWith("-rate-limit"))));
        await assertRefused(withoutLimit, "team-route-guarded", /no enforcing rateLimit Policy/, true);
        const dryRun = edit(good, (r) => r.name.endsWith("-rate-limit") && r.type.endsWith(":Policy"), (i) => (i.spec.rateLimit.dryRun = true));
        await assertRefused(dryRun, "team-route-guarded", /no enforcing rateLimit Policy/, true);
    });

    it("refuses a stack that points auth elsewhere", async () => {
        const elsewhere = edit(good, isAuthPolicy, (i) => (i.spec.externalAuth.authServiceName = `${teamNamespace.name}/own-authorizer`));
        await assertRefused(elsewhere, "team-route-guarded", /sends auth to fraud-models\/own-authorizer, not the platform authorizer/, true);
    });

    it("refuses a stack that publishes outside its prefix, or a route the platform does not delegate", async () => {
        const outside = edit(good, isRoute, (i) => (i.spec.subroutes[0].path = "/models/churn/shadow"));
        await assertRefused(outside, "team-route-within-prefix", /subroute \/models\/churn\/shadow is outside its prefix \/teams\/fraud/, true);
        const renamed = good.map((r) => (isRoute(r) ? { ...r, inputs: { ...r.inputs, metadata: { ...(r.inputs.metadata as Obj), name: "fraud-other" } } } : r));
        await assertRefused(renamed, "team-route-within-prefix", /fraud-models\/fraud-other is not one the platform delegates/, true);
    });

    it("refuses a stack that sends edge traffic to another namespace's Service", async () => {
        const foreign = edit(good, isRoute, (i) => (i.spec.upstreams[0].service = "features/feature-api"));
        await assertRefused(foreign, "edge-upstream-same-namespace", /sends to features\/feature-api/, true);
    });

    it("refuses a stack that leaves a namespace un-meshed, even without workloads", async () => {
        const unmeshed = resource("kubernetes:core/v1:Namespace", "scratch", { metadata: { name: "fraud-scratch", annotations: {} } });
        await assertRefused([...good, unmeshed], "mesh-namespace-declared-meshed", /fraud-scratch is not meshed/, false);
        const permissive = resource("kubernetes:core/v1:Namespace", "open", {
            metadata: { name: "fraud-open", annotations: { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-unauthenticated" } },
        });
        await assertRefused([...good, permissive], "mesh-namespace-declared-meshed", /all-unauthenticated/, false);
    });

    it("refuses a stack that grants itself cluster-wide rights", async () => {
        const binding = resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "fraud-admin", {
            metadata: { name: "fraud-admin" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
            subjects: [{ kind: "ServiceAccount", name: "fraud-scorer", namespace: teamNamespace.name }],
        });
        await assertRefused([...good, binding], "kubernetes-no-cluster-rbac", /grants rights across the cluster/, false);
        const namespaced = resource("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "fraud-ns-admin", {
            metadata: { name: "fraud-ns-admin", namespace: teamNamespace.name },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
            subjects: [{ kind: "ServiceAccount", name: "fraud-scorer", namespace: teamNamespace.name }],
        });
        await assertRefused([...good, namespaced], "kubernetes-no-cluster-rbac", /binds ClusterRole admin/, false);
    });

    it("holds on every shipped platform stack (their own routes are guarded and delegated)", async () => {
        for (const name of ["dev", "staging", "prod"] as const) {
            const stack = await plannedStack(name);
            const report = await check(stack.evaluation.resources, name);
            const found = report.violations.filter((v) => TEAM_RULES.includes(v.policy));
            assert.deepEqual(found, [], name);
        }
        assert.ok(routeOf(good));
    });
});
