/**
 * The pack's shape: every policy carries complete metadata, the rule modules export plain
 * arrays, the pack files agree with each other, and every type token a rule matches is the
 * provider SDK's own.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { loadEnvironmentPolicyConfig, reconcilePolicyConfig } from "../../offline/policy-config";
import { PACK_NAME, PACK_VERSION, policies } from "../../policy/catalog";
import { RESOURCE_TYPES } from "../../policy/lib/resource-types";
import { dataPolicies } from "../../policy/rules/data";
import { identityPolicies } from "../../policy/rules/identity";
import { loggingPolicies } from "../../policy/rules/logging";
import { meshEdgePolicies } from "../../policy/rules/mesh-edge";
import { networkPolicies } from "../../policy/rules/network";
import { secretPolicies } from "../../policy/rules/secrets";
import { tenancyPolicies } from "../../policy/rules/tenancy";
import { workloadPolicies } from "../../policy/rules/workloads";

const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");

describe("policy catalog", () => {
    it("collects every rule module's array exactly once, with unique kebab-case names", () => {
        const modules = [identityPolicies, networkPolicies, dataPolicies, meshEdgePolicies, tenancyPolicies, secretPolicies, workloadPolicies, loggingPolicies];
        assert.ok(modules.every((list) => Array.isArray(list) && list.length > 0));
        assert.equal(policies.length, modules.flat().length);
        const names = policies.map((policy) => policy.name);
        assert.equal(new Set(names).size, names.length);
        for (const name of names) assert.match(name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    });

    it("gives every policy a description, remediation, severity, default level and SOC 2/HIPAA controls, also in the SDK fields", () => {
        for (const policy of policies) {
            assert.ok(policy.description.length > 20, policy.name);
            assert.ok(policy.remediationSteps.length > 20, policy.name);
            assert.ok(["low", "medium", "high", "critical"].includes(policy.severity), policy.name);
            assert.ok(["advisory", "mandatory"].includes(policy.enforcementLevel), policy.name);
            assert.ok(policy.controls.soc2.length > 0, `${policy.name} maps to SOC 2`);
            for (const section of policy.controls.hipaa) assert.match(section, /^164\.312\([a-e]\)(\(\d\)(\((i|ii|iii|iv)\))?)?$/);
            assert.equal(policy.framework?.name, "SOC 2");
            assert.equal(policy.framework?.reference, policy.controls.soc2.join(", "));
            for (const control of policy.controls.soc2) assert.ok(policy.tags?.includes(`soc2:${control}`), `${policy.name} tags ${control}`);
            for (const control of policy.controls.hipaa) assert.ok(policy.tags?.includes(`hipaa:${control}`), `${policy.name} tags ${control}`);
        }
    });

    it("covers the SOC 2 common criteria and HIPAA §164.312 sections the platform claims", () => {
        const soc2 = new Set(policies.flatMap((policy) => policy.controls.soc2));
        const hipaa = new Set(policies.flatMap((policy) => policy.controls.hipaa));
        for (const control of ["CC6.1", "CC6.3", "CC6.6", "CC6.7", "CC6.8", "CC7.2", "CC8.1"]) assert.ok(soc2.has(control as never), control);
        for (const section of ["164.312(a)(1)", "164.312(a)(2)(iv)", "164.312(b)", "164.312(c)(1)", "164.312(d)", "164.312(e)(1)"]) assert.ok(hipaa.has(section as never), section);
    });

    it("is the size the README says", () => {
        const readme = readFileSync(path.join(POLICY_DIR, "..", "README.md"), "utf8");
        assert.match(readme, new RegExp(`\\b${policies.length} CrossGuard rules\\b`));
    });

    it("agrees with package.json and PulumiPolicy.yaml", () => {
        const packageJson = JSON.parse(readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as { name: string; version: string; main: string; dependencies: Record<string, string> };
        assert.equal(PACK_VERSION, packageJson.version);
        assert.equal(packageJson.main, "index.js");
        // Exact pins, the same as the program's where both use a package (one SDK version in the
        // lockfile); tsx because the entry (index.js) loads the TypeScript rules through it.
        const rootJson = JSON.parse(readFileSync(path.join(POLICY_DIR, "..", "package.json"), "utf8")) as { dependencies: Record<string, string> };
        assert.deepEqual(packageJson.dependencies, { "@pulumi/policy": "1.21.0", "@pulumi/pulumi": rootJson.dependencies["@pulumi/pulumi"], tsx: rootJson.dependencies.tsx });
        for (const version of Object.values(packageJson.dependencies)) assert.match(version, /^\d+\.\d+\.\d+$/, "exact pin");
        assert.match(PACK_NAME, /^[a-zA-Z0-9-_.]{1,100}$/, "the engine's pack name pattern");
        const manifest = parseYaml(readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")) as { runtime: { name: string; options: { typescript: boolean } }; description: string };
        assert.equal(manifest.runtime.name, "nodejs");
        assert.equal(manifest.runtime.options.typescript, false);
        assert.ok(manifest.description.length > 0);
    });

    it("matches the provider SDKs' own type tokens (__pulumiType)", () => {
        const sdkClasses: Record<string, [module: string, exportName: string]> = {
            [RESOURCE_TYPES.resourceGroup]: ["@pulumi/azure-native/resources/resourceGroup", "ResourceGroup"],
            [RESOURCE_TYPES.managedCluster]: ["@pulumi/azure-native/containerservice/managedCluster", "ManagedCluster"],
            [RESOURCE_TYPES.keyVault]: ["@pulumi/azure-native/keyvault/vault", "Vault"],
            [RESOURCE_TYPES.storageAccount]: ["@pulumi/azure-native/storage/storageAccount", "StorageAccount"],
            [RESOURCE_TYPES.containerRegistry]: ["@pulumi/azure-native/containerregistry/registry", "Registry"],
            [RESOURCE_TYPES.mlWorkspace]: ["@pulumi/azure-native/machinelearningservices/workspace", "Workspace"],
            [RESOURCE_TYPES.mlCompute]: ["@pulumi/azure-native/machinelearningservices/compute", "Compute"],
            [RESOURCE_TYPES.clusterExtension]: ["@pulumi/azure-native/kubernetesconfiguration/extension", "Extension"],
            [RESOURCE_TYPES.roleAssignment]: ["@pulumi/azure-native/authorization/roleAssignment", "RoleAssignment"],
            [RESOURCE_TYPES.diagnosticSetting]: ["@pulumi/azure-native/monitor/diagnosticSetting", "DiagnosticSetting"],
            [RESOURCE_TYPES.application]: ["@pulumi/azuread/application", "Application"],
            [RESOURCE_TYPES.servicePrincipal]: ["@pulumi/azuread/servicePrincipal", "ServicePrincipal"],
            [RESOURCE_TYPES.applicationPassword]: ["@pulumi/azuread/applicationPassword", "ApplicationPassword"],
            [RESOURCE_TYPES.servicePrincipalPassword]: ["@pulumi/azuread/servicePrincipalPassword", "ServicePrincipalPassword"],
            [RESOURCE_TYPES.namespace]: ["@pulumi/kubernetes/core/v1/namespace", "Namespace"],
            [RESOURCE_TYPES.service]: ["@pulumi/kubernetes/core/v1/service", "Service"],
            [RESOURCE_TYPES.configMap]: ["@pulumi/kubernetes/core/v1/configMap", "ConfigMap"],
            [RESOURCE_TYPES.pod]: ["@pulumi/kubernetes/core/v1/pod", "Pod"],
            [RESOURCE_TYPES.deployment]: ["@pulumi/kubernetes/apps/v1/deployment", "Deployment"],
            [RESOURCE_TYPES.statefulSet]: ["@pulumi/kubernetes/apps/v1/statefulSet", "StatefulSet"],
            [RESOURCE_TYPES.daemonSet]: ["@pulumi/kubernetes/apps/v1/daemonSet", "DaemonSet"],
            [RESOURCE_TYPES.job]: ["@pulumi/kubernetes/batch/v1/job", "Job"],
            [RESOURCE_TYPES.cronJob]: ["@pulumi/kubernetes/batch/v1/cronJob", "CronJob"],
            [RESOURCE_TYPES.ingress]: ["@pulumi/kubernetes/networking/v1/ingress", "Ingress"],
            [RESOURCE_TYPES.helmRelease]: ["@pulumi/kubernetes/helm/v3/release", "Release"],
        };
        // Custom resources get `kubernetes:<apiVersion>:<kind>` from apiextensions.CustomResource.
        const customResources = new Set<string>([RESOURCE_TYPES.stack, RESOURCE_TYPES.virtualServer, RESOURCE_TYPES.virtualServerRoute, RESOURCE_TYPES.nginxPolicy]);
        for (const token of Object.values(RESOURCE_TYPES)) {
            if (customResources.has(token)) continue;
            const entry = sdkClasses[token];
            assert.ok(entry, `no SDK class listed for ${token}`);
            const sdkModule = require(entry[0]) as Record<string, { __pulumiType?: string }>;
            assert.equal(sdkModule[entry[1]]?.__pulumiType, token);
        }
    });
});

describe("policy/README.md", () => {
    it("lists every policy with its kind, severity and default, dev, staging and prod levels", () => {
        const readme = readFileSync(path.join(POLICY_DIR, "README.md"), "utf8");
        const rows = new Map(
            [...readme.matchAll(/^\| `([a-z0-9-]+)` \| (resource|stack) \| (\w+) \| (\w+) \| (\w+) \| (\w+) \| (\w+) \|/gm)].map((match) => [match[1], match.slice(2, 8)]),
        );
        const levels = (["dev", "staging", "prod"] as const).map((environment) => reconcilePolicyConfig(policies, loadEnvironmentPolicyConfig(environment), environment));
        assert.deepEqual([...rows.keys()], policies.map((policy) => policy.name));
        for (const policy of policies) {
            assert.deepEqual(
                rows.get(policy.name),
                ["validateStack" in policy ? "stack" : "resource", policy.severity, policy.enforcementLevel, ...levels.map((effective) => effective.get(policy.name)?.enforcementLevel)],
                policy.name,
            );
        }
    });
});
