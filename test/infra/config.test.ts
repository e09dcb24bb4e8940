import * as assert from "node:assert/strict";
import { ConfigError, findPlaceholders, kubernetesSupportWarning, parseStackConfig, type ConfigProblem } from "../../infra/config";
import { AKS_KUBERNETES_CALENDAR, KUBERNETES_TESTED_RANGE } from "../../components/versions";
import { ProgramFailure } from "../../offline/engine";
import { editConfig, runStack, shippedStackConfig } from "../harness";

/** Parses the config and returns its problems (none when it is valid). */
function problemsOf(raw: Record<string, string>, today?: Date): ConfigProblem[] {
    try {
        parseStackConfig(raw, { today });
        return [];
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
}

/** Asserts exactly the expected key is reported, with a message matching the pattern. */
function assertRefused(raw: Record<string, string>, key: string, message: RegExp, today?: Date): void {
    const problems = problemsOf(raw, today);
    const match = problems.find((problem) => problem.key === key);
    assert.ok(match, `expected a problem at ${key}; got ${JSON.stringify(problems)}`);
    assert.match(match.message, message);
}

const prod = () => shippedStackConfig("prod");
const dev = () => shippedStackConfig("dev");

describe("stack config", () => {
    for (const stack of ["dev", "staging", "prod"] as const) {
        it(`accepts the shipped ${stack} stack`, () => {
            const config = parseStackConfig(shippedStackConfig(stack));
            assert.equal(config.environment, stack);
        });
    }

    it("applies schema defaults for keys a stack leaves out", () => {
        const config = parseStackConfig(editConfig(dev(), "amlmesh:mesh", () => undefined));
        assert.equal(config.mesh.defaultInboundPolicy, "deny");
        assert.equal(config.mesh.pki.issuerValidityDays, 365);
    });

    describe("Kubernetes version: in AKS standard support and in the range the pinned components are tested on", () => {
        const withVersion = (version: string) => editConfig(prod(), "amlmesh:cluster", (cluster: any) => ({ ...cluster, kubernetesVersion: version }));
        const key = "amlmesh:cluster.kubernetesVersion";

        it("the shipped stacks run a version in standard support today, inside the tested range", () => {
            for (const stack of ["dev", "staging", "prod"] as const) {
                const version = parseStackConfig(shippedStackConfig(stack)).cluster.kubernetesVersion;
                const minor = version.split(".").slice(0, 2).join(".");
                assert.ok(new Date(`${AKS_KUBERNETES_CALENDAR[minor].endOfStandardSupport}T23:59:59Z`) >= new Date(), `${stack} runs ${version}`);
                assert.ok(Number(minor.split(".")[1]) <= Number(KUBERNETES_TESTED_RANGE.max.split(".")[1]), `${stack} runs ${version}`);
            }
        });

        it("refuses a version past its end of standard support, with the date, through that day and not after", () => {
            assertRefused(withVersion("1.34"), key, /Kubernetes 1\.34 left AKS standard support on 2026-11-30; choose 1\.35 \(until 2027-03-31\)/, new Date("2026-12-06T12:00:00Z"));
            assert.deepEqual(problemsOf(withVersion("1.34.4"), new Date("2026-11-30T23:00:00Z")), []);
            assertRefused(withVersion("1.35.2"), key, /got "1\.35\.2", Kubernetes 1\.35 left AKS standard support on 2027-03-31/, new Date("2027-04-01T00:00:01Z"));
        });

        it("refuses a version the pinned mesh and edge are not tested on, and one AKS has not announced", () => {
            assertRefused(withVersion("1.36"), key, /1\.36 is outside 1\.31 to 1\.35.*Linkerd edge-26\.6\.3/, new Date("2026-12-06T12:00:00Z"));
            assertRefused(withVersion("1.40"), key, /1\.40 is not in the AKS support calendar/, new Date("2026-12-06T12:00:00Z"));
        });

        it("warns in the 60 days before the end of standard support", () => {
            const config = parseStackConfig(prod(), { today: new Date("2026-12-06T12:00:00Z") });
            assert.equal(kubernetesSupportWarning(config, new Date("2026-12-06T12:00:00Z")), undefined);
            assert.match(kubernetesSupportWarning(config, new Date("2027-02-15T00:00:00Z")) ?? "", /Kubernetes 1\.35 leaves AKS standard support on 2027-03-31 \(45 days\)/);
        });
    });

    describe("refuses a bad config, naming the key, the value and what was expected", () => {
        it("a missing required key", () => {
            assertRefused(editConfig(prod(), "amlmesh:tenantId", () => undefined), "amlmesh:tenantId", /is required/);
        });

        it("a malformed GUID", () => {
            assertRefused(editConfig(prod(), "amlmesh:tenantId", () => "contoso"), "amlmesh:tenantId", /got "contoso", expected the Entra tenant ID as a GUID/);
        });

        it("a malformed CIDR", () => {
            const raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, addressSpace: "10.30.0.0/33" }));
            assertRefused(raw, "amlmesh:network.addressSpace", /got "10\.30\.0\.0\/33", expected an IPv4 CIDR block/);
        });

        it("a CIDR with host bits set", () => {
            const raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, addressSpace: "10.30.1.0/16" }));
            assertRefused(raw, "amlmesh:network.addressSpace", /host bits zero/);
        });

        it("an out-of-range number", () => {
            const raw = editConfig(prod(), "amlmesh:cluster", (cluster: any) => ({ ...cluster, systemPool: { ...cluster.systemPool, minCount: 0 } }));
            assertRefused(raw, "amlmesh:cluster.systemPool.minCount", /got 0, expected at least 1/);
        });

        it("a value outside an enumeration", () => {
            assertRefused(editConfig(prod(), "amlmesh:environment", () => "production"), "amlmesh:environment", /got "production", expected one of "dev", "staging", "prod"/);
        });

        it("a string where a section was expected", () => {
            assertRefused(editConfig(prod(), "amlmesh:network", () => "10.30.0.0/16"), "amlmesh:network", /got "10\.30\.0\.0\/16", expected object/);
        });

        it("an unknown key, suggesting the key that was probably meant", () => {
            const raw = editConfig(prod(), "amlmesh:network", (network: any) => {
                const { aksNodes, ...others } = network.subnets;
                return { ...network, subnets: { ...others, aksNode: aksNodes } };
            });
            assertRefused(raw, "amlmesh:network.subnets.aksNode", /unknown key \(did you mean 'aksNodes'\?\)/);
        });

        it("an unknown top-level key", () => {
            const raw = { ...prod(), "amlmesh:netwrok": prod()["amlmesh:network"] };
            assertRefused(raw, "amlmesh:netwrok", /did you mean 'network'/);
        });

        it("a misspelt namespace", () => {
            const raw = { ...prod(), "amlmsh:location": "westeurope" };
            assertRefused(raw, "amlmsh:location", /unknown config namespace 'amlmsh' \(did you mean amlmesh:location\?\)/);
        });

        it("an unknown caller kind", () => {
            const raw = editConfig(prod(), "amlmesh:access", (access: any) => ({ ...access, callers: [{ name: "robot", kind: "robot", roles: ["Model.Invoke"] }] }));
            assertRefused(raw, "amlmesh:access.callers[0].kind", /got "robot", expected kind to be one of workload/);
        });

        it("a mutable image tag for the authorizer", () => {
            const raw = editConfig(prod(), "amlmesh:edge", (edge: any) => ({ ...edge, authorizer: { replicas: 3, image: "contoso.azurecr.io/edge-authorizer:latest" } }));
            assertRefused(raw, "amlmesh:edge.authorizer.image", /pinned image/);
        });
    });

    describe("cross-field rules", () => {
        it("subnets lie inside the address space", () => {
            const raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, subnets: { ...network.subnets, privateEndpoints: "10.31.0.0/24" } }));
            assertRefused(raw, "amlmesh:network.subnets.privateEndpoints", /10\.31\.0\.0\/24 is outside the address space 10\.30\.0\.0\/16/);
        });

        it("subnets do not overlap", () => {
            const raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, subnets: { ...network.subnets, mlCompute: "10.30.8.0/22" } }));
            assertRefused(raw, "amlmesh:network.subnets.mlCompute", /overlaps subnet aksNodes \(10\.30\.0\.0\/19\)/);
        });

        it("the overlay pod CIDR stays off the VNet and the DNS address inside the service CIDR", () => {
            let raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, podCidr: "10.30.128.0/17" }));
            assertRefused(raw, "amlmesh:network.podCidr", /overlaps the VNet address space/);
            raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, dnsServiceIp: "10.0.0.10" }));
            assertRefused(raw, "amlmesh:network.dnsServiceIp", /outside serviceCidr 172\.16\.0\.0\/16/);
        });

        it("the hub stays off the VNet, pods and services, and holds its two subnets", () => {
            let raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, hubAddressSpace: "10.30.250.0/24" }));
            assertRefused(raw, "amlmesh:network.hubAddressSpace", /10\.30\.250\.0\/24 overlaps network\.addressSpace 10\.30\.0\.0\/16/);
            raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, hubAddressSpace: "172.16.8.0/24" }));
            assertRefused(raw, "amlmesh:network.hubAddressSpace", /overlaps network\.serviceCidr/);
            raw = editConfig(prod(), "amlmesh:network", (network: any) => ({ ...network, hubAddressSpace: "10.31.0.0/27" }));
            assertRefused(raw, "amlmesh:network.hubAddressSpace", /too small/);
        });

        it("the authorizer runs a pinned build: a digest, or another image", () => {
            const raw = editConfig(prod(), "amlmesh:edge", (edge: any) => ({ ...edge, authorizer: { replicas: 3 } }));
            assertRefused(raw, "amlmesh:edge.authorizer.digest", /is required: build and push the authorizer/);
            const other = editConfig(prod(), "amlmesh:edge", (edge: any) => ({ ...edge, authorizer: { replicas: 3, image: `contoso.azurecr.io/edge-authorizer@sha256:${"a".repeat(64)}` } }));
            assert.deepEqual(problemsOf(other), []);
            assert.ok(findPlaceholders(parseStackConfig(prod())).includes("amlmesh:edge.authorizer.digest"), "the shipped all-zero digest is a placeholder");
        });

        it("every role a caller or route names is defined", () => {
            let raw = editConfig(prod(), "amlmesh:access", (access: any) => ({
                ...access,
                callers: access.callers.map((caller: any, i: number) => (i === 1 ? { ...caller, roles: ["Model.Depoly"] } : caller)),
            }));
            assertRefused(raw, "amlmesh:access.callers[1].roles[0]", /role Model\.Depoly is not defined in access\.roles \(defined: Model\.Invoke/);
            raw = editConfig(prod(), "amlmesh:routes", (routes: any) => routes.map((route: any) => ({ ...route, roles: ["Scoring.Call"] })));
            assertRefused(raw, "amlmesh:routes[0].roles[0]", /role Scoring\.Call is not defined/);
        });

        it("prod cannot expose the API server publicly without authorized ranges", () => {
            const raw = editConfig(prod(), "amlmesh:cluster", (cluster: any) => ({ ...cluster, apiServer: { access: "public" } }));
            assertRefused(raw, "amlmesh:cluster.apiServer.authorizedRanges", /public API server in prod needs authorizedRanges/);
            // dev may, because developers reach it from allow-listed ranges only when set.
            const devRaw = editConfig(dev(), "amlmesh:cluster", (cluster: any) => ({ ...cluster, apiServer: { access: "public" } }));
            assert.deepEqual(problemsOf(devRaw), []);
        });

        it("prod keeps its hardening: HBI, approved-only outbound, HA mesh, zones", () => {
            let raw = editConfig(prod(), "amlmesh:ml", (ml: any) => ({ ...ml, highBusinessImpact: false, isolationMode: "AllowInternetOutbound" }));
            assertRefused(raw, "amlmesh:ml.highBusinessImpact", /HBI/);
            assertRefused(raw, "amlmesh:ml.isolationMode", /approved outbound/);
            raw = editConfig(prod(), "amlmesh:mesh", (mesh: any) => ({ ...mesh, highAvailability: false }));
            assertRefused(raw, "amlmesh:mesh.highAvailability", /HA mode/);
            raw = editConfig(prod(), "amlmesh:cluster", (cluster: any) => ({ ...cluster, availabilityZones: ["1"] }));
            assertRefused(raw, "amlmesh:cluster.availabilityZones", /at least two zones/);
        });

        it("only dev may open the workspace, or the Key Vault and registry firewalls, to public ranges", () => {
            const staging = shippedStackConfig("staging");
            assertRefused(editConfig(staging, "amlmesh:ml", (ml: any) => ({ ...ml, publicNetworkAccess: "Enabled" })), "amlmesh:ml.publicNetworkAccess", /must be Disabled in staging/);
            assertRefused(
                editConfig(staging, "amlmesh:network", (network: any) => ({ ...network, developerIpRanges: ["198.51.100.0/24"] })),
                "amlmesh:network.developerIpRanges",
                /dev only/,
            );
        });

        it("the mesh issuer renews before it expires and never outlives the anchor", () => {
            const raw = editConfig(prod(), "amlmesh:mesh", (mesh: any) => ({ ...mesh, pki: { anchorValidityDays: 100, issuerValidityDays: 180, issuerRenewBeforeDays: 180 } }));
            assertRefused(raw, "amlmesh:mesh.pki.issuerRenewBeforeDays", /below issuerValidityDays/);
            assertRefused(raw, "amlmesh:mesh.pki.issuerValidityDays", /cannot outlive the trust anchor/);
        });

        it("a trust anchor rotation names two different slots", () => {
            const raw = editConfig(prod(), "amlmesh:mesh", (mesh: any) => ({ ...mesh, pki: { ...mesh.pki, anchors: { active: "green", alsoTrusted: "green" } } }));
            assertRefused(raw, "amlmesh:mesh.pki.anchors.alsoTrusted", /other slot than active \(green\)/);
        });

        it("forwarded client addresses are believed only from a named proxy range, never from everywhere", () => {
            const raw = editConfig(prod(), "amlmesh:edge", (edge: any) => ({ ...edge, clientAddress: { trustedProxies: ["0.0.0.0/0"] } }));
            assertRefused(raw, "amlmesh:edge.clientAddress.trustedProxies[0]", /0\.0\.0\.0\/0 is too broad/);
            const ok = editConfig(prod(), "amlmesh:edge", (edge: any) => ({ ...edge, clientAddress: { trustedProxies: ["10.30.40.0/24"] } }));
            assert.deepEqual(problemsOf(ok), []);
        });

        it("a route scope must be one the API exposes, or no token could ever carry it", () => {
            const raw = editConfig(prod(), "amlmesh:routes", (routes: any) => routes.map((route: any, i: number) => (i === 0 ? { ...route, scopes: ["Models.Score"] } : route)));
            assertRefused(raw, "amlmesh:routes[0].scopes[0]", /scope Models\.Score is not exposed by the API.*access_as_user/);
        });

        it("people (group callers) need a delegated scope and a client pre-authorized for it", () => {
            let raw = editConfig(prod(), "amlmesh:access", (access: any) => ({ ...access, preAuthorizedClients: [] }));
            assertRefused(raw, "amlmesh:access.callers[0]", /need user tokens.*preAuthorizedClients/);
            raw = editConfig(prod(), "amlmesh:access", (access: any) => ({
                ...access,
                preAuthorizedClients: [{ name: "azure-cli", clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", scopes: ["user_impersonation"] }],
            }));
            assertRefused(raw, "amlmesh:access.preAuthorizedClients[0].scopes[0]", /scope user_impersonation is not defined in access\.scopes/);
        });

        it("outbound FQDN rules only with approved-only outbound, each host once", () => {
            let raw = editConfig(dev(), "amlmesh:ml", (ml: any) => ({ ...ml, approvedOutboundFqdns: ["pypi.org"] }));
            assertRefused(raw, "amlmesh:ml.approvedOutboundFqdns", /only with isolationMode AllowOnlyApprovedOutbound \(this stack: AllowInternetOutbound\)/);
            raw = editConfig(prod(), "amlmesh:ml", (ml: any) => ({ ...ml, approvedOutboundFqdns: ["pypi.org", "pypi.org"] }));
            assertRefused(raw, "amlmesh:ml.approvedOutboundFqdns[1]", /listed twice/);
            raw = editConfig(prod(), "amlmesh:ml", (ml: any) => ({ ...ml, approvedOutboundFqdns: ["https://pypi.org"] }));
            assertRefused(raw, "amlmesh:ml.approvedOutboundFqdns[0]", /expected a host name/);
        });

        it("a route path is published once per host", () => {
            const raw = editConfig(prod(), "amlmesh:routes", (routes: any) => [...routes, { ...routes[0], name: "churn-copy" }]);
            assertRefused(raw, "amlmesh:routes[2].path", /ml\.example\.com\/models\/churn is published by another route/);
        });

        it("reports every problem at once rather than the first", () => {
            let raw = editConfig(prod(), "amlmesh:tenantId", () => "nope");
            raw = editConfig(raw, "amlmesh:location", () => "West Europe");
            assert.equal(problemsOf(raw).length, 2);
        });
    });

    describe("placeholders", () => {
        it("lists every placeholder in the shipped stacks", () => {
            const found = findPlaceholders(parseStackConfig(dev()));
            const keys = ["amlmesh:tenantId", "amlmesh:edge.hostName", "amlmesh:cluster.adminGroupObjectIds[0]", "amlmesh:network.developerIpRanges[0]", "amlmesh:access.callers[1].federation.subject"];
            for (const key of keys) {
                assert.ok(found.includes(key), `${key} should be flagged; found ${found.join(", ")}`);
            }
        });

        it("lets a preview run but refuses to deploy them", async () => {
            await assert.rejects(runStack("prod", prod(), { deploy: true }), (error: unknown) => {
                assert.ok(error instanceof ProgramFailure);
                assert.match(error.message, /Refusing to deploy placeholder values[\s\S]*amlmesh:tenantId/);
                return true;
            });
        });
    });

    it("fails before any resource is declared", async () => {
        const raw = editConfig(prod(), "amlmesh:environment", () => "qa");
        await assert.rejects(runStack("prod", raw), (error: unknown) => {
            assert.ok(error instanceof ProgramFailure && error.cause instanceof ConfigError);
            assert.deepEqual(
                error.registered.map((resource) => resource.type),
                ["pulumi:pulumi:Stack"],
            );
            return true;
        });
    });
});
