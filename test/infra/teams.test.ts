/**
 * Team onboarding: the `teams` config section, and what the platform stack declares for each
 * team (meshed namespaces, quota, a namespaced Role for the team's group, a federated managed
 * identity, the edge delegation of its prefixes, the admission guardrails), read from the
 * evaluated shipped stacks.
 */
import * as assert from "node:assert/strict";
import { AZUREML_EXTENSION_NAMESPACE } from "../../components/azure/ml-kubernetes-compute";
import { TEAM_NAMESPACE_LABEL, TEAM_EDGE_ADMISSION_POLICIES } from "../../policy/lib/tenancy";
import * as admission from "../../components/teams/admission";
import { ConfigError, findPlaceholders, parseStackConfig, RESERVED_NAMESPACES, type ConfigProblem } from "../../infra/config";
import { CLUSTER_NAMES } from "../../infra/cluster-services";
import { editConfig, roleAssignments, shippedStackConfig, type PlannedStack, type TestResource } from "../harness";
import { check, violationsOf } from "../policy/helpers";
import { plannedStack, STACKS } from "./azure-stacks";

type Team = Record<string, unknown>;

function problemsOf(raw: Record<string, string>): ConfigProblem[] {
    try {
        parseStackConfig(raw);
        return [];
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
}

/** The prod config with the first team edited (or more teams appended). */
function withTeams(edit: (teams: Team[]) => Team[]): Record<string, string> {
    return editConfig(shippedStackConfig("prod"), "amlmesh:teams", (teams) => edit(structuredClone(teams as Team[])));
}

function assertRefused(raw: Record<string, string>, key: string, message: RegExp): void {
    const problems = problemsOf(raw);
    const found = problems.filter((problem) => problem.key === key);
    assert.ok(found.some((problem) => message.test(problem.message)), `expected ${key} ~ ${message}; got ${JSON.stringify(problems)}`);
}

const second = (overrides: Team = {}): Team => ({
    name: "risk",
    groupObjectId: "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
    namespaces: ["risk-models"],
    prefixes: [{ path: "/teams/risk", namespace: "risk-models", route: "risk-edge" }],
    ...overrides,
});

describe("teams", () => {
    describe("config", () => {
        it("every shipped stack onboards at least one team, whose stand-in group is a placeholder", () => {
            for (const stack of STACKS) {
                const config = parseStackConfig(shippedStackConfig(stack));
                assert.ok(config.teams.length > 0, stack);
                assert.ok(findPlaceholders(config).includes("amlmesh:teams[0].groupObjectId"), stack);
            }
        });

        it("refuses unknown keys with a hint, and a group that is not a GUID", () => {
            assertRefused(withTeams(([t]) => [{ ...t, namespace: ["x"] }]), "amlmesh:teams[0].namespace", /did you mean 'namespaces'/);
            assertRefused(withTeams(([t]) => [{ ...t, groupObjectId: "fraud-engineers" }]), "amlmesh:teams[0].groupObjectId", /GUID/);
        });

        it("refuses prefixes that overlap a platform route, the inference route, another team's, or the whole host", () => {
            const prefix = (path: string) => withTeams(([t]) => [{ ...t, prefixes: [{ path, namespace: "fraud-models", route: "fraud-edge" }] }]);
            assertRefused(prefix("/models"), "amlmesh:teams[0].prefixes[0].path", /overlaps \/models\/churn of platform route churn-scoring/);
            assertRefused(prefix("/features-v2"), "amlmesh:teams[0].prefixes[0].path", /overlaps \/features of platform route features/);
            assertRefused(prefix("/api/v1/endpoint/x"), "amlmesh:teams[0].prefixes[0].path", /the Azure ML inference route/);
            assertRefused(prefix("/"), "amlmesh:teams[0].prefixes[0].path", /whole host/);
            assertRefused(
                withTeams((teams) => [...teams, second({ prefixes: [{ path: "/teams/fraud/v2", namespace: "risk-models", route: "risk-edge" }] })]),
                "amlmesh:teams[1].prefixes[0].path",
                /overlaps \/teams\/fraud of team fraud/,
            );
            assert.deepEqual(problemsOf(withTeams((teams) => [...teams, second()])), [], "disjoint prefixes are fine");
        });

        it("refuses a namespace of another team, of the platform, or reserved, and prefixes or accounts outside the team's namespaces", () => {
            assertRefused(withTeams((teams) => [...teams, second({ namespaces: ["fraud-models"], prefixes: [{ path: "/teams/risk", namespace: "fraud-models", route: "r" }] })]), "amlmesh:teams[1].namespaces[0]", /belongs to team fraud/);
            assertRefused(withTeams(([t]) => [{ ...t, namespaces: ["features"], prefixes: [{ path: "/teams/fraud", namespace: "features", route: "r" }], workloadServiceAccounts: [] }]), "amlmesh:teams[0].namespaces[0]", /features is the namespace of (platform route features|caller feature-api)/);
            assertRefused(withTeams(([t]) => [{ ...t, namespaces: ["aml-workloads"] }]), "amlmesh:teams[0].namespaces[0]", /Azure ML namespace/);
            assertRefused(withTeams(([t]) => [{ ...t, namespaces: ["fraud-models", "kube-system"] }]), "amlmesh:teams[0].namespaces[1]", /reserved/);
            assertRefused(withTeams(([t]) => [{ ...t, prefixes: [{ path: "/teams/fraud", namespace: "elsewhere", route: "r" }] }]), "amlmesh:teams[0].prefixes[0].namespace", /not one of the team's namespaces/);
            assertRefused(withTeams(([t]) => [{ ...t, workloadServiceAccounts: [{ namespace: "elsewhere", serviceAccount: "a" }] }]), "amlmesh:teams[0].workloadServiceAccounts[0].namespace", /not one of the team's namespaces/);
            const many = Array.from({ length: 21 }, (_, i) => ({ namespace: "fraud-models", serviceAccount: `sa-${i}` }));
            assertRefused(withTeams(([t]) => [{ ...t, workloadServiceAccounts: many }]), "amlmesh:teams[0].workloadServiceAccounts", /at most 20/);
            assertRefused(withTeams((teams) => [...teams, second({ name: "fraud" })]), "amlmesh:teams[1].name", /used twice/);
        });

        it("reserves every namespace the platform itself uses", () => {
            for (const name of [CLUSTER_NAMES.ingressNamespace, CLUSTER_NAMES.authorizerNamespace, AZUREML_EXTENSION_NAMESPACE, "linkerd"]) {
                assert.ok(RESERVED_NAMESPACES.includes(name), name);
            }
        });

        it("the pack's copy of the tenancy names matches the program's", () => {
            assert.equal(TEAM_NAMESPACE_LABEL, admission.TEAM_NAMESPACE_LABEL);
            const declared = admission.teamAdmissionRules({ authorizer: { namespace: "a", name: "b", port: 1 }, edgeHost: "h.example.com", ingressClassName: "nginx", injectionLabels: {}, delegations: [] }).map((rule) => rule.name);
            for (const name of TEAM_EDGE_ADMISSION_POLICIES) assert.ok(declared.includes(name), name);
        });
    });

    for (const name of STACKS) {
        describe(`${name} stack`, () => {
            let stack: PlannedStack;
            before(async () => {
                stack = await plannedStack(name);
            });
            const config = () => parseStackConfig(shippedStackConfig(name));
            const inNamespace = (type: string, namespace: string) => stack.ofType(type).filter((r) => r.input("metadata.namespace") === namespace);

            it("meshes each team namespace with a non-permissive default and labels it for the guardrails", () => {
                for (const team of config().teams) {
                    for (const ns of team.namespaces) {
                        const namespace = stack.ofType("kubernetes:core/v1:Namespace").find((r) => r.input("metadata.name") === ns);
                        assert.ok(namespace, ns);
                        assert.equal(namespace.input(["metadata", "annotations", "linkerd.io/inject"]), "enabled");
                        assert.ok(["deny", "all-authenticated"].includes(String(namespace.input(["metadata", "annotations", "config.linkerd.io/default-inbound-policy"]))));
                        assert.equal(namespace.input(["metadata", "labels", TEAM_NAMESPACE_LABEL]), team.name);
                    }
                }
            });

            it("gives each team namespace a ResourceQuota and LimitRange from the config", () => {
                for (const team of config().teams) {
                    for (const ns of team.namespaces) {
                        const [quota] = inNamespace("kubernetes:core/v1:ResourceQuota", ns);
                        assert.deepEqual(quota.input("spec.hard"), {
                            "requests.cpu": team.quota.requestsCpu,
                            "requests.memory": team.quota.requestsMemory,
                            "limits.cpu": team.quota.limitsCpu,
                            "limits.memory": team.quota.limitsMemory,
                            pods: String(team.quota.pods),
                        });
                        const [limits] = inNamespace("kubernetes:core/v1:LimitRange", ns);
                        assert.deepEqual(limits.input("spec.limits"), [{ type: "Container", default: team.containerDefaults, defaultRequest: team.containerDefaults }]);
                    }
                }
            });

            it("binds the team's Entra group to a namespaced Role only, after the guardrails exist", () => {
                const guardrails = stack.ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
                assert.ok(guardrails.length >= 5);
                for (const team of config().teams) {
                    for (const ns of team.namespaces) {
                        const [binding] = inNamespace("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", ns);
                        assert.deepEqual(binding.input("subjects"), [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: team.groupObjectId }]);
                        assert.equal(binding.input("roleRef.kind"), "Role");
                        for (const guard of guardrails) assert.ok(binding.dependsOn(guard), `${binding.name} waits for ${guard.name}`);
                        const [role] = inNamespace("kubernetes:rbac.authorization.k8s.io/v1:Role", ns);
                        const rules = role.input("rules") as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
                        assert.ok(rules.every((rule) => !rule.apiGroups.includes("rbac.authorization.k8s.io") && !rule.verbs.includes("*") && !rule.resources.includes("*")));
                        assert.ok(rules.every((rule) => !rule.resources.includes("secrets") && !rule.resources.includes("namespaces")));
                        assert.ok(rules.some((rule) => rule.apiGroups.includes("k8s.nginx.org") && rule.resources.includes("virtualserverroutes") && rule.verbs.includes("create")));
                    }
                }
                // Nothing cluster-scoped is granted to anyone by the team onboarding.
                const teamObjects = (type: string) => stack.ofType(type).filter((r) => r.urn.includes("TeamTenancy"));
                assert.deepEqual(teamObjects("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"), []);
                assert.deepEqual(teamObjects("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"), []);
            });

            it("delegates each team prefix on the edge host to the team's VirtualServerRoute", () => {
                const c = config();
                const host = stack.ofType("kubernetes:k8s.nginx.org/v1:VirtualServer").find((vs) => vs.input("spec.host") === c.edge.hostName) as TestResource;
                const routes = host.input("spec.routes") as { path: string; route: string }[];
                for (const team of c.teams) {
                    for (const prefix of team.prefixes) assert.ok(routes.some((r) => r.path === prefix.path && r.route === `${prefix.namespace}/${prefix.route}`), prefix.path);
                }
            });

            it("creates the team's managed identity, federated with its listed ServiceAccounts on the cluster's issuer, and lets the group fetch a kubeconfig only", () => {
                const c = config();
                const cluster = stack.one("azure-native:containerservice:ManagedCluster");
                for (const team of c.teams) {
                    const credentials = stack.ofType("azure-native:managedidentity:FederatedIdentityCredential").filter((r) => r.urn.includes("TeamIdentity") && r.name.startsWith(`team-${team.name}-`));
                    assert.deepEqual(
                        credentials.map((r) => r.input("subject")).sort(),
                        team.workloadServiceAccounts.map((a) => `system:serviceaccount:${a.namespace}:${a.serviceAccount}`).sort(),
                    );
                    for (const credential of credentials) assert.ok(credential.inputSources("issuer").includes(cluster.urn), "the issuer is the cluster's OIDC issuer");
                    const grants = roleAssignments(stack).filter((a) => a.principalId === team.groupObjectId);
                    assert.deepEqual(grants.map((g) => [g.role, g.principalType]), [["Azure Kubernetes Service Cluster User Role", "Group"]]);
                    assert.match(grants[0].scope, /\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/);
                }
            });
        });
    }

    describe("the pack on the platform stack", () => {
        it("accepts a delegation into a team namespace only while the stack guards it at admission", async () => {
            const stack = await plannedStack("prod");
            const urnOfHost = stack.ofType("kubernetes:k8s.nginx.org/v1:VirtualServer")[0].urn;
            const guarded = await check(stack.evaluation.resources);
            assert.deepEqual(violationsOf(guarded, "edge-external-auth-required"), []);
            const unguarded = stack.evaluation.resources.filter((r) => !(r.type.endsWith("ValidatingAdmissionPolicyBinding") && r.name === "amlmesh-team-virtualserverroutes"));
            const report = await check(unguarded);
            const found = violationsOf(report, "edge-external-auth-required", urnOfHost);
            assert.ok(found.some((v) => /route \/teams\/fraud .*fraud-models\/fraud-edge/.test(v.message)), JSON.stringify(found));
            assert.ok(violationsOf(report, "edge-rate-limit-required", urnOfHost).length > 0);
        });
    });
});

