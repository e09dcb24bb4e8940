/**
 * The bootstrap script and the image pin, over the shipped stacks: the script creates and
 * grants exactly what bootstrap/requirements.ts lists (what the preflight checks and the program
 * refers to), in an order that works, and is valid bash.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { bootstrapScript } from "../../bootstrap/main";
import { buildCommands, digestFromRepoDigests, withAuthorizerDigest } from "../../bootstrap/image-pin";
import { stackRequirements, type StackRequirements } from "../../bootstrap/requirements";
import { bootstrapSteps, hubSubnets } from "../../bootstrap/script";
import { BUILT_IN_ROLES } from "../../components/azure/roles";
import { findPlaceholders, parseStackConfig, type StackConfig } from "../../infra/config";
import { readStackConfigFiles } from "../../offline/stack-files";
import { PROJECT_ROOT, shippedStackConfig } from "../harness";

const SUBSCRIPTION = "3f2b6a1e-7c4d-4e8f-9a0b-1c2d3e4f5a6b";
const CI_SUBJECT = "repo:contoso/amlmesh:environment:prod";

function script(stack: string, phase: "owner" | "runner"): string {
    return bootstrapScript(["--stack", stack, "--subscription", SUBSCRIPTION, "--phase", phase, "--ci-subject", CI_SUBJECT]);
}

describe("bootstrap", () => {
    for (const name of ["dev", "staging", "prod"] as const) {
        describe(name, () => {
            let config: StackConfig;
            let needs: StackRequirements;
            let owner: string;
            let runner: string;
            before(() => {
                config = parseStackConfig(shippedStackConfig(name));
                needs = stackRequirements(config, SUBSCRIPTION);
                owner = script(name, "owner");
                runner = script(name, "runner");
            });

            it("is valid bash in both phases", () => {
                for (const text of [owner, runner]) {
                    const result = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
                    assert.equal(result.status, 0, result.stderr);
                }
            });

            it("grants the deployer every role the preflight checks, at its scope, RBAC Administrator only for the roles the program assigns there", () => {
                const both = `${owner}\n${runner}`;
                for (const need of needs.deployerRoles) {
                    const line = both.split("\n").find((l) => l.startsWith("az role assignment create --assignee-object-id \"$DEPLOYER\"") && l.includes(`--role '${need.role}' --scope ${need.scope} `));
                    assert.ok(line, `no grant of ${need.role} at ${need.scope}`);
                    const guids = /GuidEquals \{([^}]*)\}/.exec(line)?.[1].split(", ");
                    const customGuids = (need.assignableCustomRoles ?? []).map((role) => needs.customRoles.find((custom) => custom.role === role)!.guid);
                    if (need.assignableRoles) assert.deepEqual(guids, [...need.assignableRoles.map((role) => BUILT_IN_ROLES[role]), ...customGuids]);
                    else assert.equal(guids, undefined, `${need.role} needs no condition`);
                }
                // A role on the secrets-provider key only once the key exists.
                const keyGrant = runner.indexOf(`--scope ${needs.ids.secretsProviderKey} `);
                assert.ok(keyGrant > runner.indexOf("az keyvault key create"));
            });

            it("defines the program's custom roles under the GUIDs it assigns them by, with exactly their actions, before the deployer's grants", () => {
                for (const custom of needs.customRoles) {
                    const line = owner.split("\n").find((l) => l.startsWith("az rest --method PUT") && l.includes(`/roleDefinitions/${custom.guid}?`));
                    assert.ok(line, `no definition of ${custom.role}`);
                    const quoted = /--body ('(?:[^']|'\\'')*') -o none/.exec(line)![1];
                    const body = JSON.parse(quoted.slice(1, -1).replaceAll("'\\''", "'")) as { properties: { permissions: { actions: string[] }[]; assignableScopes: string[] } };
                    assert.deepEqual(body.properties.permissions[0].actions, [...custom.actions]);
                    assert.deepEqual(body.properties.assignableScopes, [custom.scope]);
                    assert.ok(owner.indexOf(line) < owner.indexOf(`--role 'Role Based Access Control Administrator' --scope ${needs.ids.platformResourceGroup} `), "defined before it can be granted");
                }
            });

            it("registers every provider and creates every hub resource and group the program and the preflight refer to", () => {
                for (const namespace of needs.providers) assert.ok(owner.includes(`az provider register --namespace ${namespace} --wait`), namespace);
                const b = needs.names.bootstrap;
                for (const expected of [
                    `az group create -n ${needs.names.resourceGroup} `,
                    `az group create -n ${b.resourceGroup} `,
                    `az network vnet create -g ${b.resourceGroup} -n ${b.hubVnet} -l ${needs.location} --address-prefixes ${config.network.hubAddressSpace} `,
                    `az keyvault create -n ${b.keyVault} -g ${b.resourceGroup} `,
                    `az acr create -n ${b.registry} -g ${b.resourceGroup} `,
                    `az storage account create -n ${b.stateStorage} -g ${b.resourceGroup} `,
                    `az storage container-rm create --storage-account ${b.stateStorage} -g ${b.resourceGroup} -n state `,
                    `az identity create -n ${b.deployerIdentity} `,
                ]) {
                    assert.ok(owner.includes(expected), `missing: ${expected}`);
                }
                const zoneCreated = owner.includes(`az network private-dns zone create -g ${b.resourceGroup} -n ${b.apiServerDnsZone} `);
                assert.equal(zoneCreated, config.cluster.apiServer.access === "private");
                if (zoneCreated) assert.match(owner, new RegExp(`private-dns link vnet create -g ${b.resourceGroup} -z ${b.apiServerDnsZone.replace(/\./g, "\\.")} -n hub -v ${b.hubVnet} `));
                assert.ok(owner.includes("--public-network-access Disabled"), "the vault has no public endpoint");
                assert.ok(owner.includes("--public-network-enabled false"), "the registry has no public endpoint");
                assert.ok(owner.includes(`--subject '${CI_SUBJECT}'`));
            });

            it("fills the hub from the runner: key, certificate (self-signed only in dev), image digest, state login, then the preflight last", () => {
                const order = ["az keyvault key create", "-n edge-tls", "npm run image:pin", "pulumi login", "npm run preflight"].map((text) => runner.indexOf(text));
                assert.ok(order.every((at) => at >= 0), order.join(","));
                assert.deepEqual([...order].sort((a, b) => a - b), order);
                if (name === "dev") assert.match(runner, new RegExp(`az keyvault certificate create .*CN=${config.edge.hostName.replace(/\./g, "\\.")}`));
                else {
                    assert.ok(!runner.includes("az keyvault certificate create"), "no self-signed certificate outside dev");
                    assert.match(runner, /# MANUAL: Have your CA issue a certificate/);
                }
                assert.ok(runner.includes(`--secrets-provider 'azurekeyvault://${needs.names.bootstrap.keyVault}.vault.azure.net/keys/${needs.names.bootstrap.secretsProviderKey}'`));
            });
        });
    }

    it("splits the hub range into a runner and a private-endpoint subnet, and refuses one too small", () => {
        assert.deepEqual(hubSubnets("10.31.0.0/24"), { runner: "10.31.0.0/25", privateEndpoints: "10.31.0.128/25" });
        assert.deepEqual(hubSubnets("172.20.4.0/22"), { runner: "172.20.4.0/23", privateEndpoints: "172.20.6.0/23" });
        assert.throws(() => hubSubnets("10.31.0.0/27"), /too small/);
    });

    it("asks for what it cannot guess", () => {
        assert.throws(() => bootstrapScript(["--stack", "prod", "--subscription", SUBSCRIPTION]), /--ci-subject/);
        assert.throws(() => bootstrapScript(["--stack", "prod", "--ci-subject", CI_SUBJECT, "--subscription", "nope"]), /--subscription/);
        assert.throws(() => bootstrapScript(["--stack", "prod", "--subscription", SUBSCRIPTION, "--phase", "later"]), /--phase/);
        const config = parseStackConfig(shippedStackConfig("prod"));
        assert.ok(bootstrapSteps(config, stackRequirements(config, SUBSCRIPTION), "owner", { ciSubject: CI_SUBJECT }).some((s) => s.manual?.includes("amlmesh-prod")));
    });
});

describe("image:pin", () => {
    const digest = `sha256:${"ab".repeat(32)}`;

    it("writes the digest into every shipped stack file, changing only that line, and the stack then loads without the placeholder", () => {
        for (const name of ["dev", "staging", "prod"] as const) {
            const file = path.join(PROJECT_ROOT, "stacks", `Pulumi.${name}.yaml`);
            const before = readFileSync(file, "utf8");
            const after = withAuthorizerDigest(before, digest);
            const changed = after.split("\n").filter((line, i) => line !== before.split("\n")[i]);
            assert.equal(changed.length, 1, changed.join("\n"));
            assert.match(changed[0], new RegExp(`digest: ${digest} }$`));
            const raw = readStackConfigFiles(PROJECT_ROOT, name).config;
            const edited = { ...raw, "amlmesh:edge": JSON.stringify((parse(after) as { config: Record<string, unknown> }).config["amlmesh:edge"]) };
            const config = parseStackConfig(edited);
            assert.equal(config.edge.authorizer.digest, digest);
            assert.ok(!findPlaceholders(config).includes("amlmesh:edge.authorizer.digest"));
        }
    });

    it("adds the digest to an authorizer section without one, and refuses what is not a digest", () => {
        const text = "config:\n  amlmesh:edge:\n    hostName: ml.contoso.com\n    authorizer: { replicas: 2 }\n";
        assert.equal(withAuthorizerDigest(text, digest), `config:\n  amlmesh:edge:\n    hostName: ml.contoso.com\n    authorizer: { replicas: 2, digest: ${digest} }\n`);
        assert.throws(() => withAuthorizerDigest(text, "sha256:abc"), /expected a digest/);
        assert.throws(() => withAuthorizerDigest("config:\n  amlmesh:edge:\n    hostName: a.b\n", digest), /no amlmesh:edge.authorizer section/);
    });

    it("builds from the repository root and pushes to the hub registry with an Entra login, then reads the pushed digest", () => {
        const commands = buildCommands("cramlprdb123456");
        assert.deepEqual(commands[0], ["az", "acr", "login", "--name", "cramlprdb123456"]);
        assert.deepEqual(commands[1].slice(-1), ["."]);
        assert.ok(commands[1].includes("services/edge-authorizer/Dockerfile"));
        assert.equal(commands[2][2], "cramlprdb123456.azurecr.io/edge-authorizer:0.1.0");
        const inspected = JSON.stringify([`other.azurecr.io/edge-authorizer@sha256:${"cd".repeat(32)}`, `cramlprdb123456.azurecr.io/edge-authorizer@${digest}`]);
        assert.equal(digestFromRepoDigests(inspected, "cramlprdb123456.azurecr.io/edge-authorizer"), digest);
        assert.throws(() => digestFromRepoDigests("[]", "cramlprdb123456.azurecr.io/edge-authorizer"), /no pushed digest/);
    });
});

