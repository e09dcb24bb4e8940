import * as assert from "node:assert/strict";
import { EdgeHost } from "../../../components/edge/edge-host";
import { CLIENT_IDENTITY_HEADERS } from "@amlmesh/team-sdk/kit/edge/identity-headers";
import { ProtectedRoute, type EdgeRef, type ProtectedRouteArgs } from "@amlmesh/team-sdk/kit/edge/protected-route";
import { MeshAuthorization } from "@amlmesh/team-sdk/kit/mesh/authorization";
import { runComponents, type PlannedStack } from "../../harness";
import { customResources, namespaceHandle, objectName, objectNamespace, testProvider } from "../../support/cluster-fixtures";
import { assertCustomResourcesValid } from "../../support/crd-schemas";

const INGRESS = { namespace: "nginx-ingress", name: "nginx-ingress" };
const EDGE: EdgeRef = { identity: INGRESS, ingressClassName: "nginx", authorizer: { namespace: "edge-authorizer", name: "edge-authorizer", port: 8080 }, ready: [] };
const HOST = "ml.example.com";

function churn(overrides: Partial<ProtectedRouteArgs> = {}): ProtectedRouteArgs {
    return {
        host: HOST,
        path: "/models/churn",
        backend: { namespace: namespaceHandle("models"), service: "churn-scorer", port: 8080, serviceAccount: "churn-scorer", podSelector: { "app.kubernetes.io/name": "churn-scorer" } },
        roles: ["Model.Invoke"],
        rateLimit: { requestsPerSecond: 100, burst: 200 },
        edge: EDGE,
        ...overrides,
    };
}

const NGINX = "k8s.nginx.org/v1";
const policies = (stack: PlannedStack) => customResources(stack, NGINX, "Policy");
const policyWith = (stack: PlannedStack, field: string) => policies(stack).filter((p) => p.input(`spec.${field}`) !== undefined);

describe("ProtectedRoute and EdgeHost", () => {
    let stack: PlannedStack;
    before(async () => {
        stack = await runComponents(() => {
            const provider = testProvider();
            const first = new ProtectedRoute("churn-scoring", churn({ scopes: ["user_impersonation"] }), { provider });
            const second = new ProtectedRoute(
                "churn-scoring-v2",
                churn({ path: "/models/churn-v2", rateLimit: { requestsPerSecond: 10, burst: 0 }, backendAuthorization: first.backendAuthorization }),
                { provider },
            );
            new EdgeHost("host-ml-example-com", { namespace: namespaceHandle("nginx-ingress"), host: HOST, tlsSecretName: "edge-default-tls", ingressClassName: "nginx", routes: [first, second] }, { provider });
        });
    });

    it("publishes one VirtualServer per host, with TLS, delegating each path to its route's VirtualServerRoute", () => {
        const [vs] = customResources(stack, NGINX, "VirtualServer");
        assert.equal(customResources(stack, NGINX, "VirtualServer").length, 1);
        assert.equal(vs.input("spec.host"), HOST);
        assert.equal(objectNamespace(vs), "nginx-ingress", "next to the synced TLS Secret");
        assert.equal(vs.input("spec.tls.secret"), "edge-default-tls");
        assert.equal(vs.input("spec.tls.redirect.enable"), true);
        assert.deepEqual(vs.input("spec.routes"), [
            { path: "/models/churn", route: "models/churn-scoring" },
            { path: "/models/churn-v2", route: "models/churn-scoring-v2" },
        ]);
        for (const vsr of customResources(stack, NGINX, "VirtualServerRoute")) assert.ok(vs.dependsOn(vsr));
    });

    it("sends traffic to the backend's cluster IP through the mesh, with keepalive", () => {
        const vsr = customResources(stack, NGINX, "VirtualServerRoute").find((r) => objectName(r) === "churn-scoring")!;
        assert.equal(objectNamespace(vsr), "models");
        assert.equal(vsr.input("spec.host"), HOST);
        assert.equal(vsr.input("spec.ingressClassName"), "nginx");
        const [upstream] = vsr.input("spec.upstreams") as Record<string, unknown>[];
        assert.deepEqual(upstream, { name: "backend", service: "churn-scorer", port: 8080, "use-cluster-ip": true, keepalive: 32 });
        const [subroute] = vsr.input("spec.subroutes") as { path: string; action: { proxy: { upstream: string } } }[];
        assert.equal(subroute.path, "/models/churn");
        assert.equal(subroute.action.proxy.upstream, "backend");
    });

    it("blanks every client-sent identity header and leaves Authorization for the backend to verify again", () => {
        for (const vsr of customResources(stack, NGINX, "VirtualServerRoute")) {
            const [subroute] = vsr.input("spec.subroutes") as { action: { proxy: { requestHeaders: { pass?: boolean; set: { name: string; value: string }[] } } } }[];
            const { requestHeaders } = subroute.action.proxy;
            assert.equal(requestHeaders.pass, undefined, "pass: false would drop Content-Type and Authorization too");
            assert.deepEqual(requestHeaders.set, CLIENT_IDENTITY_HEADERS.map((name) => ({ name, value: "" })));
            assert.ok(!requestHeaders.set.some((header) => header.name.toLowerCase() === "authorization"));
        }
    });

    it("checks the token at the authorizer for the route's roles and scopes before every request", () => {
        const vsr = customResources(stack, NGINX, "VirtualServerRoute").find((r) => objectName(r) === "churn-scoring")!;
        const refs = (vsr.input("spec.subroutes") as { policies: { name: string }[] }[])[0].policies.map((p) => p.name);
        const auth = policyWith(stack, "externalAuth").find((p) => refs.includes(objectName(p)))!;
        assert.ok(auth, "the subroute references an externalAuth policy");
        assert.equal(objectNamespace(auth), "models", "policies resolve in the VirtualServerRoute's namespace");
        assert.deepEqual(auth.input("spec.externalAuth"), {
            authServiceName: "edge-authorizer/edge-authorizer",
            authServicePorts: [8080],
            authURI: "/authorize?route=models/churn-scoring&roles=Model.Invoke&scopes=user_impersonation",
        });
        // Same roles, own authURI: the controller keeps only the first auth location of a repeated authURI.
        const other = policyWith(stack, "externalAuth").find((p) => objectName(p) === "churn-scoring-v2-authz")!;
        assert.equal(other.input("spec.externalAuth.authURI"), "/authorize?route=models/churn-scoring-v2&roles=Model.Invoke");
    });

    it("limits each client address with the route's rate and burst", () => {
        const vsr = customResources(stack, NGINX, "VirtualServerRoute").find((r) => objectName(r) === "churn-scoring")!;
        const refs = (vsr.input("spec.subroutes") as { policies: { name: string }[] }[])[0].policies.map((p) => p.name);
        const limit = policyWith(stack, "rateLimit").find((p) => refs.includes(objectName(p)))!;
        assert.deepEqual(limit.input("spec.rateLimit"), { key: "${binary_remote_addr}", rate: "100r/s", burst: 200, noDelay: true, zoneSize: "10m", scale: true, rejectCode: 429, logLevel: "warn" });
        const strict = policyWith(stack, "rateLimit").find((p) => objectName(p) === "churn-scoring-v2-rate-limit")!;
        assert.equal(strict.input("spec.rateLimit.rate"), "10r/s");
        assert.equal(strict.input("spec.rateLimit.burst"), undefined);
    });

    it("admits only the ingress identity to the backend, with one Server shared by routes to the same port", () => {
        const servers = customResources(stack, "policy.linkerd.io/v1beta3", "Server");
        assert.equal(servers.length, 1, "two Servers on the same pods and port would be rejected by Linkerd");
        assert.equal(objectNamespace(servers[0]), "models");
        assert.equal(servers[0].input("spec.port"), 8080);
        const [authn] = customResources(stack, "policy.linkerd.io/v1alpha1", "MeshTLSAuthentication");
        assert.deepEqual(authn.input("spec.identityRefs"), [{ kind: "ServiceAccount", ...INGRESS }]);
        const [policy] = customResources(stack, "policy.linkerd.io/v1alpha1", "AuthorizationPolicy");
        assert.equal(policy.input("spec.targetRef.name"), objectName(servers[0]));
    });

    it("refuses a route anyone in the tenant could call, and a shared authorization that admits others", async () => {
        const provider = testProvider;
        await assert.rejects(runComponents(() => new ProtectedRoute("open", churn({ roles: [] }), { provider: provider() })), /at least one role/);
        await assert.rejects(
            runComponents(() => {
                const wide = new MeshAuthorization("wide", { namespace: namespaceHandle("models"), podSelector: {}, port: 8080, clients: [INGRESS, { namespace: "x", name: "y" }] }, { provider: provider() });
                new ProtectedRoute("r", churn({ backendAuthorization: wide }), { provider: provider() });
            }),
            /admit only the ingress/,
        );
    });

    it("refuses two routes on one host path and routes for another host", async () => {
        await assert.rejects(
            runComponents(() => {
                const provider = testProvider();
                const a = new ProtectedRoute("a", churn(), { provider });
                const b = new ProtectedRoute("b", churn({ backend: { ...churn().backend, service: "other", podSelector: { app: "other" } } }), { provider });
                new EdgeHost("h", { namespace: namespaceHandle("nginx-ingress"), host: HOST, tlsSecretName: "t", ingressClassName: "nginx", routes: [a, b] }, { provider });
            }),
            /published by two routes/,
        );
        await assert.rejects(
            runComponents(() => {
                const provider = testProvider();
                const a = new ProtectedRoute("a", churn({ host: "other.example.com" }), { provider });
                new EdgeHost("h", { namespace: namespaceHandle("nginx-ingress"), host: HOST, tlsSecretName: "t", ingressClassName: "nginx", routes: [a] }, { provider });
            }),
            /not ml\.example\.com/,
        );
    });

    it("emits VirtualServer, VirtualServerRoute, Policy and Linkerd objects that validate against the upstream CRDs", function () {
        assertCustomResourcesValid(stack.evaluation.resources, 9);
    });
});
