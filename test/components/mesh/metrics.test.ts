/**
 * The scraper's objects as the components declare them, and the pack's rule on metrics access
 * judged on those objects and on the ways they can be widened.
 */
import * as assert from "node:assert/strict";
import { ApiServerWebhook } from "../../../components/mesh/api-server-webhook";
import { MeshAuthorization } from "@amlmesh/team-sdk/kit/mesh/authorization";
import { metricsGrant, proxyMetricsAuthorization } from "../../../components/mesh/metrics";
import type { CapturedResource } from "../../../offline/document";
import { runComponents, type PlannedStack } from "../../harness";
import { assertViolates, check, violationsOf } from "../../policy/helpers";
import { namespaceHandle, testProvider } from "../../support/cluster-fixtures";
import { assertCustomResourcesValid } from "../../support/crd-schemas";
import { meshGrants } from "../../support/mesh-grants";

const SCRAPER = { namespace: "monitoring", name: "prometheus" };
const INGRESS = { namespace: "nginx-ingress", name: "nginx-ingress" };
const PROBE_NETWORKS = ["10.30.0.0/19", "10.244.0.0/16"];
const POLICY = "mesh-metrics-single-scraper";

/** The proxies' admin port in `models` and an authorizer-style Server with a metrics route. */
function declare(): PlannedStack | Promise<PlannedStack> {
    return runComponents(() => {
        proxyMetricsAuthorization({ namespace: namespaceHandle("models"), scraper: SCRAPER, probeNetworks: PROBE_NETWORKS }, { provider: testProvider() });
        new MeshAuthorization(
            "authz",
            {
                namespace: namespaceHandle("edge-authorizer"),
                podSelector: { "app.kubernetes.io/name": "edge-authorizer" },
                port: "http",
                clients: [INGRESS],
                http: {
                    paths: [{ type: "Exact", value: "/authorize" }],
                    probes: { paths: ["/healthz"], networks: PROBE_NETWORKS },
                    additionalRoutes: [metricsGrant(SCRAPER)],
                },
            },
            { provider: testProvider() },
        );
    });
}

/** A deep copy of the captured resources with one object's inputs edited. */
function edited(resources: readonly CapturedResource[], match: (r: CapturedResource) => boolean, edit: (inputs: Record<string, unknown>) => void): CapturedResource[] {
    const copy = structuredClone(resources) as CapturedResource[];
    const target = copy.filter(match);
    assert.equal(target.length, 1, "the edit must hit exactly one object");
    edit(target[0].inputs as Record<string, unknown>);
    return copy;
}

/** URN of the AuthorizationPolicy of that object name. */
const policyUrn = (resources: readonly CapturedResource[], name: string) => {
    const found = resources.find(named("AuthorizationPolicy", name));
    assert.ok(found, `no AuthorizationPolicy ${name}`);
    return found.urn;
};

const named = (kind: string, name: string) => (r: CapturedResource) => r.type.endsWith(`:${kind}`) && (r.inputs as { metadata?: { name?: string } }).metadata?.name === name;

describe("metrics access", () => {
    let stack: PlannedStack;
    let resources: readonly CapturedResource[];
    before(async () => {
        stack = await declare();
        resources = stack.evaluation.resources;
    });

    it("the admin port admits the scraper on Exact /metrics and kubelet on GET /live and /ready, nothing else", () => {
        const admin = meshGrants(stack).filter((grant) => grant.port === "linkerd-admin");
        assert.deepEqual(
            admin.map((grant) => [grant.namespace, grant.podSelector, grant.paths, grant.clients]),
            [
                ["models", { matchLabels: {} }, ["* /metrics (Exact)"], ["monitoring/prometheus"]],
                ["models", { matchLabels: {} }, ["GET /live (Exact)", "GET /ready (Exact)"], [...PROBE_NETWORKS].map((cidr) => `net:${cidr}`).sort()],
            ],
        );
        assertCustomResourcesValid(resources, 8);
    });

    it("an additional route admits its own clients on its own paths, beside the Server's main route", () => {
        const authorizer = meshGrants(stack).filter((grant) => grant.namespace === "edge-authorizer");
        assert.deepEqual(authorizer.map((grant) => [grant.paths, grant.clients]).sort(), [
            [["* /authorize (Exact)"], ["nginx-ingress/nginx-ingress"]],
            [["* /metrics (Exact)"], ["monitoring/prometheus"]],
            [["GET /healthz (Exact)"], PROBE_NETWORKS.map((cidr) => `net:${cidr}`).sort()],
        ].sort());
    });

    it("a port no probe hits gets no probe route (an empty match list would match every request)", async () => {
        const exporter = await runComponents(() =>
            new MeshAuthorization(
                "exporter",
                {
                    namespace: namespaceHandle("nginx-ingress"),
                    podSelector: { app: "nginx" },
                    port: 9113,
                    clients: [SCRAPER],
                    http: { paths: [{ type: "Exact", value: "/metrics" }], probes: { paths: [], networks: [] } },
                },
                { provider: testProvider() },
            ),
        );
        assert.deepEqual(exporter.ofType("kubernetes:policy.linkerd.io/v1beta3:HTTPRoute").map((route) => route.input("metadata.name")), ["exporter"]);
        assert.equal(exporter.ofType("kubernetes:policy.linkerd.io/v1alpha1:NetworkAuthentication").length, 0);
    });

    it("refuses additional routes without paths or clients, or with a reserved name", async () => {
        const args = (grant: { name: string; paths: { type: "Exact"; value: string }[]; clients: typeof SCRAPER[] }) => ({
            namespace: namespaceHandle("x"),
            podSelector: { app: "x" },
            port: 80,
            clients: [INGRESS],
            http: { paths: [{ type: "Exact" as const, value: "/" }], probes: { paths: [], networks: [] }, additionalRoutes: [grant] },
        });
        await assert.rejects(runComponents(() => new MeshAuthorization("x", args({ name: "m", paths: [], clients: [SCRAPER] }))), /needs paths/);
        await assert.rejects(runComponents(() => new MeshAuthorization("x", args({ name: "m", paths: [{ type: "Exact", value: "/metrics" }], clients: [] }))), /at least one ServiceAccount/);
        await assert.rejects(runComponents(() => new MeshAuthorization("x", args({ name: "probes", paths: [{ type: "Exact", value: "/metrics" }], clients: [SCRAPER] }))), /is taken/);
    });

    it("an API server webhook admits every address on its port and pods only, over TLS; an empty selector is refused", async () => {
        const webhook = await runComponents(() => new ApiServerWebhook("identity", { namespace: namespaceHandle("azureml"), podSelector: { app: "identity" }, port: 9443 }, { provider: testProvider() }));
        assert.deepEqual(
            meshGrants(webhook).map((grant) => [grant.podSelector, grant.port, grant.paths, grant.clients]),
            [[{ matchLabels: { app: "identity" } }, 9443, [], ["net:0.0.0.0/0", "net:::/0"]]],
        );
        assert.equal(webhook.one("kubernetes:policy.linkerd.io/v1beta3:Server").input("spec.proxyProtocol"), "TLS");
        assertCustomResourcesValid(webhook.evaluation.resources, 3);
        await assert.rejects(runComponents(() => new ApiServerWebhook("any", { namespace: namespaceHandle("azureml"), podSelector: {}, port: 9443 })), /podSelector must name/);
    });

    describe(`policy ${POLICY}`, () => {
        it("passes what the components declare", async () => {
            assert.deepEqual(violationsOf(await check([...resources]), POLICY), []);
        });

        it("refuses a second identity on /metrics", async () => {
            const widened = edited(resources, named("MeshTLSAuthentication", "proxy-admin-models-clients"), (inputs) => {
                (inputs.spec as { identityRefs: unknown[] }).identityRefs.push({ kind: "ServiceAccount", name: "grafana", namespace: "monitoring" });
            });
            assertViolates(await check(widened), POLICY, policyUrn(resources, "proxy-admin-models"), /admits 2 identities on \/metrics/);
        });

        it("refuses a network or a whole namespace on a metrics route", async () => {
            const network = edited(resources, named("AuthorizationPolicy", "authz-metrics"), (inputs) => {
                (inputs.spec as { requiredAuthenticationRefs: unknown[] }).requiredAuthenticationRefs = [{ group: "policy.linkerd.io", kind: "NetworkAuthentication", name: "authz-probes" }];
            });
            assertViolates(await check(network), POLICY, policyUrn(resources, "authz-metrics"), /a network, a namespace or any identity on \/metrics/);
            const namespace = edited(resources, named("MeshTLSAuthentication", "authz-metrics"), (inputs) => {
                (inputs.spec as { identityRefs: unknown[] }).identityRefs = [{ kind: "Namespace", name: "monitoring" }];
            });
            assertViolates(await check(namespace), POLICY, policyUrn(resources, "authz-metrics"), /a network, a namespace or any identity/);
        });

        it("refuses any other path on the admin port, and a port-wide or namespace-wide authorization of it", async () => {
            const prefix = edited(resources, named("HTTPRoute", "proxy-admin-models"), (inputs) => {
                (inputs.spec as { rules: unknown[] }).rules = [{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }];
            });
            assertViolates(await check(prefix), POLICY, policyUrn(resources, "proxy-admin-models"), /admits \/ \(PathPrefix\) on the proxy admin port/);
            const portWide = edited(resources, named("AuthorizationPolicy", "proxy-admin-models"), (inputs) => {
                (inputs.spec as { targetRef: unknown }).targetRef = { group: "policy.linkerd.io", kind: "Server", name: "proxy-admin-models" };
            });
            assertViolates(await check(portWide), POLICY, policyUrn(resources, "proxy-admin-models"), /opens the whole proxy admin port/);
            const namespaceWide = edited(resources, named("AuthorizationPolicy", "proxy-admin-models"), (inputs) => {
                (inputs.spec as { targetRef: unknown }).targetRef = { kind: "Namespace", name: "models" };
            });
            assertViolates(await check(namespaceWide), POLICY, policyUrn(resources, "proxy-admin-models"), /covers every Server of namespace models/);
        });
    });
});
