import * as assert from "node:assert/strict";
import { MeshAuthorization, type MeshAuthorizationArgs } from "@amlmesh/team-sdk/kit/mesh/authorization";
import { runComponents, type PlannedStack } from "../../harness";
import { customResources, namespaceHandle, objectName, testProvider } from "../../support/cluster-fixtures";
import { assertCustomResourcesValid } from "../../support/crd-schemas";

const INGRESS = { namespace: "nginx-ingress", name: "nginx-ingress" };
const V1BETA3 = "policy.linkerd.io/v1beta3";
const V1ALPHA1 = "policy.linkerd.io/v1alpha1";

const portWide: MeshAuthorizationArgs = {
    namespace: namespaceHandle("models"),
    podSelector: { "app.kubernetes.io/name": "churn-scorer" },
    port: 8080,
    clients: [INGRESS],
};

const routed: MeshAuthorizationArgs = {
    namespace: namespaceHandle("edge-authorizer"),
    podSelector: { "app.kubernetes.io/name": "edge-authorizer" },
    port: "http",
    clients: [INGRESS],
    http: { paths: [{ type: "Exact", value: "/authorize" }], probes: { paths: ["/healthz", "/readyz"], networks: ["10.30.0.0/19"] } },
};

// Routes cannot be restricted without saying what the probes need. Enforced by the type, not
// at runtime: `tsc` (part of `npm test`) fails if this ever type-checks, because the
// expect-error directive below would then be unused.
const routesWithoutProbes: MeshAuthorizationArgs = {
    ...portWide,
    // @ts-expect-error -- probes are required once routes exist
    http: { paths: [{ type: "PathPrefix", value: "/" }] },
};
void routesWithoutProbes;

describe("MeshAuthorization", () => {
    let wide: PlannedStack;
    let route: PlannedStack;
    before(async () => {
        wide = await runComponents(() => new MeshAuthorization("churn-scoring-backend", portWide, { provider: testProvider() }));
        route = await runComponents(() => new MeshAuthorization("edge-authorizer-mesh", routed, { provider: testProvider() }));
    });

    it("selects the workload's port with a deny-by-default Server", () => {
        const [server] = customResources(wide, V1BETA3, "Server");
        assert.equal(server.input("metadata.namespace"), "models");
        assert.deepEqual(server.input("spec.podSelector"), { matchLabels: { "app.kubernetes.io/name": "churn-scorer" } });
        assert.equal(server.input("spec.port"), 8080);
        assert.equal(server.input("spec.accessPolicy"), "deny");
    });

    it("admits exactly the named ServiceAccounts over mTLS", () => {
        const [authn] = customResources(wide, V1ALPHA1, "MeshTLSAuthentication");
        assert.deepEqual(authn.input("spec.identityRefs"), [{ kind: "ServiceAccount", name: "nginx-ingress", namespace: "nginx-ingress" }]);
        const [policy] = customResources(wide, V1ALPHA1, "AuthorizationPolicy");
        const [server] = customResources(wide, V1BETA3, "Server");
        assert.deepEqual(policy.input("spec.targetRef"), { group: "policy.linkerd.io", kind: "Server", name: objectName(server) });
        assert.deepEqual(policy.input("spec.requiredAuthenticationRefs"), [{ group: "policy.linkerd.io", kind: "MeshTLSAuthentication", name: objectName(authn) }]);
        assert.ok(policy.dependsOn(server) && policy.dependsOn(authn));
    });

    it("creates no route in port-wide mode, so Linkerd keeps authorizing the pod's own probe paths", () => {
        assert.equal(customResources(wide, V1BETA3, "HTTPRoute").length, 0);
        assert.equal(customResources(wide, V1ALPHA1, "NetworkAuthentication").length, 0);
    });

    it("in route mode, authorizes the clients on the route and the probes from the probe networks", () => {
        const routes = customResources(route, V1BETA3, "HTTPRoute");
        assert.equal(routes.length, 2);
        const [server] = customResources(route, V1BETA3, "Server");
        assert.equal(server.input("spec.proxyProtocol"), "HTTP/1");
        for (const r of routes) assert.deepEqual(r.input("spec.parentRefs"), [{ group: "policy.linkerd.io", kind: "Server", name: objectName(server) }]);
        const app = routes.find((r) => objectName(r) === "edge-authorizer-mesh")!;
        assert.deepEqual(app.input("spec.rules"), [{ matches: [{ path: { type: "Exact", value: "/authorize" } }] }]);
        const probes = routes.find((r) => r !== app)!;
        assert.deepEqual(probes.input("spec.rules"), [
            { matches: [{ path: { type: "Exact", value: "/healthz" }, method: "GET" }, { path: { type: "Exact", value: "/readyz" }, method: "GET" }] },
        ]);
        const [network] = customResources(route, V1ALPHA1, "NetworkAuthentication");
        assert.deepEqual(network.input("spec.networks"), [{ cidr: "10.30.0.0/19" }]);
        const policies = customResources(route, V1ALPHA1, "AuthorizationPolicy");
        const clientPolicy = policies.find((p) => (p.input("spec.requiredAuthenticationRefs") as { kind: string }[])[0].kind === "MeshTLSAuthentication")!;
        assert.deepEqual(clientPolicy.input("spec.targetRef"), { group: "policy.linkerd.io", kind: "HTTPRoute", name: objectName(app) });
        const probePolicy = policies.find((p) => p !== clientPolicy)!;
        assert.deepEqual(probePolicy.input("spec.targetRef"), { group: "policy.linkerd.io", kind: "HTTPRoute", name: objectName(probes) });
        assert.deepEqual(probePolicy.input("spec.requiredAuthenticationRefs"), [{ group: "policy.linkerd.io", kind: "NetworkAuthentication", name: objectName(network) }]);
    });

    it("refuses an empty client list and routes on an opaque port", async () => {
        await assert.rejects(runComponents(() => new MeshAuthorization("nobody", { ...portWide, clients: [] }, { provider: testProvider() })), /at least one/);
        await assert.rejects(
            runComponents(() => new MeshAuthorization("opaque", { ...routed, proxyProtocol: "opaque" }, { provider: testProvider() })),
            /HTTP proxyProtocol/,
        );
    });

    it("emits resources that validate against the Linkerd 2.20 CRD schemas", function () {
        for (const stack of [wide, route]) assertCustomResourcesValid(stack.evaluation.resources, 3);
    });
});
