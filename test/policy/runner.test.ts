/**
 * The offline runner's engine semantics and the per-environment configuration.
 */
import * as assert from "node:assert/strict";
import { specialResourceSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { resourcePolicy, stackPolicy } from "../../policy/lib/define";
import { loadEnvironmentPolicyConfig, PolicyConfigError, reconcilePolicyConfig } from "../../offline/policy-config";
import { runPolicies } from "../../offline/policy-runner";
import { policies } from "../../policy/catalog";
import { assertViolates, check, notApplicableReason, resource, secret, urnOf, violationsOf } from "./helpers";
import { cluster, deployment, storage, T, vault } from "./fixtures";

/** The rules that must never slip: mandatory in every environment. */
const NEVER_SLIP = [
    "no-secret-literals",
    "no-secret-stack-outputs",
    "entra-no-password-credentials",
    "entra-no-implicit-grant",
    "azure-no-privileged-role-at-broad-scope",
    "azure-no-privileged-role-at-inferred-scope",
    "aks-local-accounts-disabled",
    "storage-no-public-blob-access",
    "azure-no-public-network-access",
    "edge-external-auth-required",
    "edge-external-auth-uri-unique",
    "team-route-guarded",
    "kubernetes-no-cluster-rbac",
    "edge-snippets-disabled",
    "edge-no-retired-ingress-nginx",
];

describe("offline policy runner", () => {
    describe("per-environment enforcement (policy/config/<env>.json)", () => {
        it("dev: advisory except the never-slip rules; staging and prod: mandatory except digest pinning", () => {
            const levels = (environment: "dev" | "staging" | "prod") => reconcilePolicyConfig(policies, loadEnvironmentPolicyConfig(environment), environment);
            const dev = levels("dev");
            for (const policy of policies) {
                assert.equal(dev.get(policy.name)?.enforcementLevel, NEVER_SLIP.includes(policy.name) ? "mandatory" : "advisory", `dev ${policy.name}`);
            }
            for (const environment of ["staging", "prod"] as const) {
                const effective = levels(environment);
                for (const policy of policies) {
                    assert.equal(effective.get(policy.name)?.enforcementLevel, policy.name === "workload-image-digest-pinned" ? "advisory" : "mandatory", `${environment} ${policy.name}`);
                }
                assert.equal(effective.get("azure-no-public-network-access")?.properties.environment, environment);
            }
        });

        it("reports the same finding advisory in dev and mandatory in prod", async () => {
            const devCluster = cluster("aks", { networkProfile: { networkPolicy: "none" } }, { stack: "dev" });
            const prodCluster = cluster("aks", { networkProfile: { networkPolicy: "none" } });
            const [devViolation] = violationsOf(await check([devCluster], "dev"), "aks-network-policy-enabled");
            const [prodViolation] = violationsOf(await check([prodCluster], "prod"), "aks-network-policy-enabled");
            assert.equal(devViolation.level, "advisory");
            assert.equal(prodViolation.level, "mandatory");
            assert.equal(devViolation.severity, "medium");
        });

        it("fills settings from schema defaults and passes them to getConfig()", () => {
            const effective = reconcilePolicyConfig(policies, {}, "staging");
            assert.ok((effective.get("mesh-namespace-default-deny")?.properties.exemptNamespaces as string[]).includes("kube-system"));
            assert.equal(effective.get("ml-workspace-hbi-in-prod")?.properties.environment, "staging");
            assert.equal(effective.get("no-secret-literals")?.enforcementLevel, "mandatory", "without config, the policy's own default applies");
        });

        it("refuses unknown policy names, wrong setting types and a config written for another environment", () => {
            assert.throws(() => reconcilePolicyConfig(policies, { "no-secrets-literal": "mandatory" }, "prod"), (error: Error) => error instanceof PolicyConfigError && /no-secrets-literal: no policy of that name/.test(error.message));
            assert.throws(() => reconcilePolicyConfig(policies, { "mesh-namespace-default-deny": { exemptNamespaces: "kube-system" } }, "prod"), /mesh-namespace-default-deny\.exemptNamespaces: must be array/);
            assert.throws(() => reconcilePolicyConfig(policies, { "ml-workspace-hbi-in-prod": { environment: "prod" } }, "dev"), /environment is 'prod' but the stack under check is dev/);
            assert.throws(() => reconcilePolicyConfig(policies, { "azure-no-public-network-access": { environment: "qa" } }, "prod"), PolicyConfigError);
        });

        it("drops disabled policies from the run and from the control coverage", async () => {
            const report = await check([storage("st", { allowSharedKeyAccess: true })], "prod", { all: "mandatory", "storage-no-shared-key-access": "disabled" });
            assert.deepEqual(violationsOf(report, "storage-no-shared-key-access"), []);
            assert.equal(report.enforcementLevels["storage-no-shared-key-access"], "disabled");
            assert.ok(report.controls.every((control) => !control.policies.includes("storage-no-shared-key-access")));
        });

        it("reports a 'remediate' level as mandatory, like the engine does when a violation remains", async () => {
            const report = await check([vault("kv", { enablePurgeProtection: false })], "prod", { "keyvault-purge-protection": "remediate" });
            assert.equal(violationsOf(report, "keyvault-purge-protection")[0]?.level, "mandatory");
        });
    });

    describe("engine semantics", () => {
        it("sees secrets unwrapped and resource references as IDs, like the analyzer protocol", async () => {
            const reference = { [specialSigKey]: specialResourceSig, urn: urnOf(T.resourceGroup, "rg"), id: "/subscriptions/s/resourceGroups/rg" };
            const account = storage("st", { allowSharedKeyAccess: secret(true), resourceGroupName: reference });
            assertViolates(await check([account]), "storage-no-shared-key-access", account.urn);
        });

        it("uses the engine's fast path for single-type policies and the rule's own notApplicable for the rest", async () => {
            const workload = deployment("app", "models");
            const report = await check([workload]);
            assert.equal(notApplicableReason(report, "keyvault-rbac-authorization", workload.urn), "Policy only applies to resources of type 'azure-native:keyvault:Vault'");
            assert.match(notApplicableReason(report, "azure-no-public-network-access", workload.urn) ?? "", /'azure-native:keyvault:Vault', 'azure-native:storage:StorageAccount'/);
        });

        it("gives each policy its own settings through getConfig() and attributes stack findings to the stack or the named resource", async () => {
            const seen: unknown[] = [];
            const probe = resourcePolicy({
                name: "probe",
                description: "probe",
                category: "data",
                severity: "low",
                enforcementLevel: "advisory",
                remediationSteps: "none",
                controls: { soc2: ["CC6.1"], hipaa: [] },
                configSchema: { properties: { limit: { type: "number", default: 3 } } },
                resourceTypes: [T.vault],
                validate: (_props, args, report) => {
                    seen.push(args.getConfig());
                    report("probe found something");
                },
            });
            const stackProbe = stackPolicy({
                name: "stack-probe",
                description: "stack probe",
                category: "logging",
                severity: "high",
                enforcementLevel: "mandatory",
                remediationSteps: "none",
                controls: { soc2: ["CC7.2"], hipaa: ["164.312(b)"] },
                validate: (stack, _args, report) => {
                    report("whole stack");
                    report("one resource", stack.ofType(T.vault)[0]?.urn);
                },
            });
            const kv = vault();
            const report = await runPolicies([kv], { environment: "prod", policies: [probe, stackProbe], policyConfig: { probe: { limit: 7 } } });
            assert.deepEqual(seen, [{ limit: 7 }]);
            assert.deepEqual(
                report.violations.map(({ policy, level, severity, urn, message }) => ({ policy, level, severity, urn, message })),
                [
                    { policy: "stack-probe", level: "mandatory", severity: "high", urn: kv.urn, message: "one resource" },
                    { policy: "stack-probe", level: "mandatory", severity: "high", urn: urnOf(T.stack, "amlmesh-prod"), message: "whole stack" },
                    { policy: "probe", level: "advisory", severity: "low", urn: kv.urn, message: "probe found something" },
                ],
            );
            assert.deepEqual(report.controls.find((control) => control.control === "164.312(b)"), { framework: "HIPAA", control: "164.312(b)", policies: ["stack-probe"], violatedBy: ["stack-probe"] });
        });

        it("surfaces a crashing policy as an error instead of a silent pass", async () => {
            const broken = resourcePolicy({
                name: "broken",
                description: "broken",
                category: "data",
                severity: "low",
                enforcementLevel: "advisory",
                remediationSteps: "none",
                controls: { soc2: ["CC6.1"], hipaa: [] },
                resourceTypes: [T.vault],
                validate: () => {
                    throw new TypeError("boom");
                },
            });
            await assert.rejects(runPolicies([vault()], { environment: "prod", policies: [broken], policyConfig: {} }), /Error validating resource with policy 'broken'.*boom/s);
        });

        // Speed is measured by `npm run bench:policy`, not asserted here (timed tests fail on a
        // busy machine and prove nothing on an idle one).
        it("gives a prod-sized stack (600 resources) the verdicts of its parts, copy for copy", async () => {
            const copy = (index: number) => [
                storage(`st${index}`),
                vault(`kv${index}`),
                cluster(`aks${index}`),
                deployment(`app${index}`, "models"),
                resource(T.release, `chart${index}`, { chart: "oci://ghcr.io/nginx/charts/nginx-ingress", namespace: "edge", values: { controller: { replicaCount: 3, config: { entries: { "log-format-escaping": "json" } } } } }),
                resource(T.roleAssignment, `ra${index}`, { principalId: "p", roleDefinitionId: "r", scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv" }),
            ];
            const stackResource = resource(T.stack, "amlmesh-prod", {}, { custom: false });
            const one = await check([stackResource, ...copy(0)]);
            const many = await check([stackResource, ...Array.from({ length: 100 }, (_, index) => copy(index)).flat()]);
            const resourceViolations = (report: typeof one) => report.violations.filter((violation) => violation.urn !== stackResource.urn);
            assert.ok(resourceViolations(one).length > 0, "the fixtures break some rules");
            assert.equal(resourceViolations(many).length, 100 * resourceViolations(one).length);
            const perPolicy = (report: typeof one) => new Map([...new Set(report.violations.map((v) => v.policy))].map((name) => [name, report.violations.filter((v) => v.policy === name).length]));
            for (const [policy, count] of perPolicy(one)) {
                const stackLevel = one.violations.some((violation) => violation.policy === policy && violation.urn === stackResource.urn);
                if (!stackLevel) assert.equal(perPolicy(many).get(policy), 100 * count, policy);
            }
        });
    });
});
