/**
 * `npm run preflight` against local stand-ins for Resource Manager, Microsoft Graph and the
 * registry (azure-standin.ts), over the shipped stacks' requirements: a prepared subscription
 * passes, a bare one gets every missing prerequisite named with its fix, and the preflight
 * stops at once without credentials or in the wrong tenant.
 */
import * as assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { stackRequirements, type StackRequirements } from "../../bootstrap/requirements";
import { parseStackConfig, type StackConfig } from "../../infra/config";
import { deterministicUuid } from "../../offline/mocks/identifiers";
import { PreflightStop, runPreflight, type CheckResult, type PreflightContext } from "../../preflight/checks";
import { renderResults, tcpProbe } from "../../preflight/main";
import { editConfig, shippedStackConfig } from "../harness";
import { startStandin, type Standin, type StandinState } from "./azure-standin";
import { bareSubscription, BUILT_DIGEST, preparedSubscription } from "./subscriptions";

const SUBSCRIPTION = "3f2b6a1e-7c4d-4e8f-9a0b-1c2d3e4f5a6b";
const DEPLOYER = deterministicUuid("deployer-sp");

/** A shipped stack's config with the authorizer's digest set to a real build. */
function stackConfig(stack: "dev" | "staging" | "prod"): StackConfig {
    const raw = editConfig(shippedStackConfig(stack), "amlmesh:edge", (edge) => {
        const section = edge as { authorizer: Record<string, unknown> };
        return { ...section, authorizer: { ...section.authorizer, digest: BUILT_DIGEST } };
    });
    return parseStackConfig(raw);
}

interface Run {
    results: CheckResult[];
    byCheck(name: string): CheckResult;
    standin: Standin;
}

async function preflight(config: StackConfig, state: (needs: StackRequirements) => StandinState, overrides: Partial<PreflightContext> = {}, kind: "ServicePrincipal" | "User" = "ServicePrincipal"): Promise<Run> {
    const requirements = stackRequirements(config, SUBSCRIPTION);
    const standin = await startStandin(state(requirements));
    try {
        const results = await runPreflight({
            requirements,
            tenantId: config.tenantId,
            environment: config.environment,
            tokens: standin.tokensFor({ objectId: DEPLOYER, kind }),
            endpoints: standin.endpoints,
            connect: async () => {
                throw new Error("no cluster expected");
            },
            ...overrides,
        });
        return {
            results,
            standin,
            byCheck: (name) => {
                const found = results.find((r) => r.check.startsWith(name));
                assert.ok(found, `no check ${name}`);
                return found;
            },
        };
    } finally {
        await standin.close();
    }
}

describe("preflight against stand-in Azure endpoints", function () {
    this.timeout(30_000);

    for (const name of ["dev", "staging", "prod"] as const) {
        describe(name, () => {
            let config: StackConfig;
            let needs: StackRequirements;
            before(() => {
                config = stackConfig(name);
                needs = stackRequirements(config, SUBSCRIPTION);
            });

            it("passes on a subscription the bootstrap prepared (every list read across its pages)", async () => {
                const run = await preflight(config, (r) => preparedSubscription(r, config.tenantId, DEPLOYER));
                const failed = run.results.filter((r) => r.status !== "pass");
                assert.deepEqual(failed, [], renderResults(run.results));
                assert.ok(run.standin.requests.some((r) => r.includes("/acr/v2/edge-authorizer/manifests/")), "the image was looked up in the registry");
            });

            it("names every missing prerequisite of a bare subscription, each with a fix", async () => {
                const run = await preflight(config, (r) => bareSubscription(r, config.tenantId, DEPLOYER));
                const text = renderResults(run.results);
                for (const result of run.results) {
                    if (result.check.startsWith("Microsoft Graph")) continue;
                    // A new subscription's default quota starts dev's small pools; it cannot scale them out.
                    const expected = result.check.startsWith("regional vCPU quota") && name === "dev" ? "warn" : "fail";
                    assert.equal(result.status, expected, `${result.check} should ${expected} on a bare subscription\n${text}`);
                    assert.ok(result.fixes.length > 0, `${result.check} gives no fix`);
                }
                for (const namespace of needs.providers) assert.match(text, new RegExp(`resource provider ${namespace.replace(/\./g, "\\.")} is NotRegistered`));
                for (const need of needs.deployerRoles.filter((r) => r.role !== "Reader")) {
                    assert.ok(text.includes(`${need.role} on ${need.scopeLabel}`), `role ${need.role} on ${need.scopeLabel} not named\n${text}`);
                }
                for (const permission of needs.graphPermissions) assert.match(text, new RegExp(`Graph application permission ${permission.replace(/\./g, "\\.")}: not granted`));
                assert.match(text, new RegExp(`hub Key Vault ${needs.names.bootstrap.keyVault} does not exist`));
                assert.match(text, new RegExp(`hub registry ${needs.names.bootstrap.registry} does not exist`));
                assert.match(text, new RegExp(`hub VNet ${needs.names.bootstrap.hubVnet} does not exist`));
                if (config.cluster.apiServer.access === "private") assert.match(text, /private DNS zone privatelink\.[a-z0-9]+\.azmk8s\.io does not exist/);
                assert.match(text, name === "dev" ? /vCPUs free; .* need \d+ at full scale/ : /vCPUs free; .* need \d+ to start/);
                assert.match(text, /preflight failed/);
            });
        });
    }

    describe("prod, one gap at a time", () => {
        let config: StackConfig;
        before(() => {
            config = stackConfig("prod");
        });
        const prepared = (edit: (state: StandinState, needs: StackRequirements) => void) => (needs: StackRequirements) => {
            const state = preparedSubscription(needs, config.tenantId, DEPLOYER);
            edit(state, needs);
            return state;
        };

        it("names a missing or widened platform custom role, with the bootstrap step that defines it", async () => {
            const missing = await preflight(config, prepared((state, needs) => state.customRoleDefinitions.delete(needs.customRoles[0].guid) && state.roleDefinitions.delete(needs.customRoles[0].guid)));
            const gap = missing.byCheck("platform custom roles");
            assert.equal(gap.status, "fail");
            assert.match(gap.messages.join("\n"), /AzureML Online Endpoint Token Reader is not defined in .*rg-aml-prod under [0-9a-f-]{36}/);
            assert.match(gap.fixes.join("\n"), /--phase owner/);
            const widened = await preflight(
                config,
                prepared((state, needs) => state.customRoleDefinitions.get(needs.customRoles[0].guid)!.actions.push("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/listKeys/action")),
            );
            assert.match(widened.byCheck("platform custom roles").messages.join("\n"), /listKeys.*not exactly/);
        });

        it("names a missing RBAC Administrator grant and prints the conditioned command that adds it", async () => {
            const run = await preflight(
                config,
                prepared((state, needs) => {
                    state.roleAssignments = state.roleAssignments.filter((a) => !(a.scope === needs.ids.platformResourceGroup && a.roleDefinitionGuid === "f58310d9-a9f6-439a-9e8d-f62e7b41a168"));
                }),
            );
            const roles = run.byCheck("deployer roles");
            assert.equal(roles.status, "fail");
            assert.deepEqual(roles.messages, [`Role Based Access Control Administrator on resource group rg-aml-prod (grants the platform's identities their roles): missing`]);
            assert.match(roles.fixes[0], /^az role assignment create --assignee-object-id \S+ --assignee-principal-type ServicePrincipal --role "Role Based Access Control Administrator" --scope \/subscriptions\/.+\/resourceGroups\/rg-aml-prod --condition ".*GuidEquals \{.*4633458b-17de-408a-b874-0445c86b69e6.*\}.*" --condition-version 2\.0$/);
        });

        it("accepts Owner on the group in place of Contributor and RBAC Administrator", async () => {
            const run = await preflight(
                config,
                prepared((state, needs) => {
                    state.roleAssignments = state.roleAssignments.filter((a) => a.scope !== needs.ids.platformResourceGroup);
                    state.roleAssignments.push({ principalId: DEPLOYER, roleDefinitionGuid: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", scope: needs.ids.platformResourceGroup });
                }),
            );
            assert.equal(run.byCheck("deployer roles").status, "pass");
        });

        it("fails on a certificate that has expired, warns on one about to", async () => {
            const expired = await preflight(config, (needs) => preparedSubscription(needs, config.tenantId, DEPLOYER, { certificateExpiresInDays: -1 }));
            assert.equal(expired.byCheck("edge certificate").status, "fail");
            assert.match(expired.byCheck("edge certificate").messages[0], /has expired/);
            assert.match(expired.byCheck("edge certificate").fixes[0], /az keyvault certificate import --vault-name kv-aml-prdb-\w+ -n edge-tls/);
            const soon = await preflight(config, (needs) => preparedSubscription(needs, config.tenantId, DEPLOYER, { certificateExpiresInDays: 10 }));
            assert.equal(soon.byCheck("edge certificate").status, "warn");
        });

        it("fails when the pinned digest is not in the registry, or is still the placeholder", async () => {
            const missing = await preflight(config, prepared((state) => state.manifests.clear()));
            assert.equal(missing.byCheck("edge authorizer image").status, "fail");
            assert.ok(missing.byCheck("edge authorizer image").messages[0].includes(`edge-authorizer@${BUILT_DIGEST} is not in the registry`));
            const placeholder = await preflight(parseStackConfig(shippedStackConfig("prod")), (needs) => preparedSubscription(needs, config.tenantId, DEPLOYER));
            assert.deepEqual(placeholder.byCheck("edge authorizer image").messages, ["edge.authorizer.digest is still the placeholder"]);
        });

        it("fails when the deployer cannot pull from the registry (the registry's 401 surfaces)", async () => {
            const run = await preflight(
                config,
                prepared((state, needs) => {
                    state.roleAssignments = state.roleAssignments.filter((a) => a.scope !== needs.ids.registry);
                }),
            );
            assert.equal(run.byCheck("edge authorizer image").status, "fail");
            assert.match(run.byCheck("edge authorizer image").messages[0], /401/);
        });

        it("fails when the API server zone is not linked to the hub, or the hub overlaps the platform VNet", async () => {
            const unlinked = await preflight(
                config,
                prepared((state, needs) => {
                    const zone = state.resources.get(needs.ids.apiServerDnsZone)!;
                    zone.links = (zone.links as { name: string }[]).filter((link) => link.name !== "hub");
                }),
            );
            assert.match(unlinked.byCheck("network path").messages[0], /is not linked to the hub VNet/);
            const overlapping = await preflight(
                config,
                prepared((state, needs) => {
                    state.resources.get(needs.ids.vnet)!.properties = { addressSpace: { addressPrefixes: ["10.30.128.0/20"] } };
                }),
            );
            assert.match(overlapping.byCheck("network path").messages[0], /overlaps the platform VNet 10\.30\.0\.0\/16/);
        });

        describe("once the cluster exists", () => {
            let listener: Server;
            let port: number;
            before(async () => {
                listener = createServer((socket) => socket.end());
                await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
                port = (listener.address() as AddressInfo).port;
            });
            after(() => new Promise<void>((resolve) => listener.close(() => resolve())));
            const withCluster = prepared((state, needs) => {
                state.resources.set(needs.ids.cluster, { id: needs.ids.cluster, properties: { privateFQDN: "127.0.0.1", fqdn: null } });
            });

            it("passes when this machine reaches the private API server", async () => {
                const run = await preflight(config, withCluster, { connect: (host, p) => tcpProbe(host, p === 443 ? port : p) });
                assert.equal(run.byCheck("network path").status, "pass", renderResults(run.results));
                assert.match(run.byCheck("network path").messages[0], /API server 127\.0\.0\.1:443 reachable/);
            });

            it("fails, pointing at the runner, when it does not", async () => {
                const closed = await new Promise<number>((resolve) => {
                    const probe = createServer();
                    probe.listen(0, "127.0.0.1", () => {
                        const free = (probe.address() as AddressInfo).port;
                        probe.close(() => resolve(free));
                    });
                });
                const run = await preflight(config, withCluster, { connect: (host) => tcpProbe(host, closed) });
                const network = run.byCheck("network path");
                assert.equal(network.status, "fail");
                assert.match(network.messages[0], /cannot reach the API server 127\.0\.0\.1:443 from here: .*ECONNREFUSED/);
                assert.match(network.fixes[0], /runs-on: \[self-hosted, linux, amlmesh-prod\]/);
            });
        });

        it("checks preview features too, when a stack needs one (none does today: the list is empty by design)", async () => {
            const requirements = { ...stackRequirements(config, SUBSCRIPTION), features: ["Microsoft.ContainerService/ExamplePreview"] };
            const standin = await startStandin(preparedSubscription(requirements, config.tenantId, DEPLOYER));
            try {
                const results = await runPreflight({ requirements, tenantId: config.tenantId, environment: "prod", tokens: standin.tokensFor({ objectId: DEPLOYER, kind: "ServicePrincipal" }), endpoints: standin.endpoints, connect: tcpProbe });
                assert.equal(results.find((r) => r.check.startsWith("resource providers"))!.status, "pass");
            } finally {
                await standin.close();
            }
            const bare = await startStandin(bareSubscription(requirements, config.tenantId, DEPLOYER));
            try {
                const results = await runPreflight({ requirements, tenantId: config.tenantId, environment: "prod", tokens: bare.tokensFor({ objectId: DEPLOYER, kind: "ServicePrincipal" }), endpoints: bare.endpoints, connect: tcpProbe });
                const registrations = results.find((r) => r.check.startsWith("resource providers"))!;
                assert.ok(registrations.messages.includes("preview feature Microsoft.ContainerService/ExamplePreview is NotRegistered"), registrations.messages.join("\n"));
                assert.ok(registrations.fixes.includes("az feature register --namespace Microsoft.ContainerService --name ExamplePreview && az provider register --namespace Microsoft.ContainerService"));
            } finally {
                await bare.close();
            }
        });

        it("warns, without failing, when a user deploys (Graph access is delegated)", async () => {
            const run = await preflight(config, (needs) => preparedSubscription(needs, config.tenantId, DEPLOYER), {}, "User");
            assert.equal(run.byCheck("Microsoft Graph").status, "warn");
            assert.ok(run.results.every((r) => r.status !== "fail"), renderResults(run.results));
        });
    });

    describe("stops at once", () => {
        const config = () => stackConfig("staging");

        it("without credentials", async () => {
            await assert.rejects(
                preflight(config(), (needs) => preparedSubscription(needs, config().tenantId, DEPLOYER), {
                    tokens: async () => {
                        throw new Error("DefaultAzureCredential: no credential in the chain");
                    },
                }),
                (error: unknown) => error instanceof PreflightStop && /no Azure credentials/.test(error.message) && error.fixes.some((f) => f.startsWith("locally: az login")),
            );
        });

        it("signed in to another tenant", async () => {
            const other = "11111111-2222-3333-4444-555555555555";
            const requirements = stackRequirements(config(), SUBSCRIPTION);
            const standin = await startStandin(preparedSubscription(requirements, config().tenantId, DEPLOYER));
            try {
                await assert.rejects(
                    runPreflight({
                        requirements,
                        tenantId: config().tenantId,
                        environment: "staging",
                        tokens: standin.tokensFor({ objectId: DEPLOYER, kind: "ServicePrincipal", tenantId: other }),
                        endpoints: standin.endpoints,
                        connect: tcpProbe,
                    }),
                    (error: unknown) => error instanceof PreflightStop && error.message.includes(`signed in to tenant ${other}`) && error.fixes[0] === `az login --tenant ${config().tenantId}`,
                );
            } finally {
                await standin.close();
            }
        });

        it("when the subscription answers 403 AuthorizationFailed", async () => {
            await assert.rejects(
                preflight(config(), (needs) => {
                    const state = bareSubscription(needs, config().tenantId, DEPLOYER);
                    state.roleAssignments = [];
                    return state;
                }),
                (error: unknown) => error instanceof PreflightStop && /AuthorizationFailed \(HTTP 403\): The client '[0-9a-f-]+' with object id/.test(error.message),
            );
        });
    });
});
