import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../offline/document";
import { assertPasses, assertViolates, check, notApplicableReason, resource, UNKNOWN, urnOf, violationsOf } from "./helpers";
import { deployment, externalAuthSpec, namespace, nginxPolicy, rateLimitSpec, secureContainer, T, virtualServer } from "./fixtures";

const STACK_URN = urnOf(T.stack, "amlmesh-prod");

describe("policy: mesh and edge", () => {
    describe("mesh-namespace-default-deny", () => {
        const policy = "mesh-namespace-default-deny";

        it("passes workloads in namespaces meshed with deny, all-authenticated or cluster-authenticated", async () => {
            const resources = [
                namespace("models"),
                namespace("features", { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-authenticated" }),
                namespace("jobs", { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "cluster-authenticated" }),
                deployment("scorer", "models"),
                deployment("feature-api", "features"),
                deployment("trainer", "jobs"),
            ];
            const report = await check(resources);
            assert.deepEqual(violationsOf(report, policy), []);
            assert.equal(notApplicableReason(report, policy, STACK_URN), undefined);
        });

        it("flags namespaces that are not meshed, have a permissive or missing inbound policy", async () => {
            const unmeshed = namespace("a", { "config.linkerd.io/default-inbound-policy": "deny" });
            const permissive = namespace("b", { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-unauthenticated" });
            const clusterOpen = namespace("c", { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "cluster-unauthenticated" });
            const audit = namespace("d", { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "audit" });
            const missing = namespace("e", { "linkerd.io/inject": "enabled" });
            const unused = namespace("f", {});
            const resources = [unmeshed, permissive, clusterOpen, audit, missing, unused, ...["a", "b", "c", "d", "e"].map((ns) => deployment(`app-${ns}`, ns))];
            const report = await check(resources);
            assertViolates(report, policy, unmeshed.urn, /Namespace 'a' \(hosts app-a\) is not meshed: linkerd.io\/inject is missing/);
            assertViolates(report, policy, permissive.urn, /'all-unauthenticated'/);
            assertViolates(report, policy, clusterOpen.urn, /'cluster-unauthenticated'/);
            assertViolates(report, policy, audit.urn, /'audit'/);
            assertViolates(report, policy, missing.urn, /no config.linkerd.io\/default-inbound-policy annotation/);
            assert.deepEqual(violationsOf(report, policy, unused.urn), [], "a namespace without workloads need not be meshed");
        });

        it("follows an unknown namespace name through the workload's property dependencies", async () => {
            const autoNamed = resource(T.namespace, "models", { apiVersion: "v1", kind: "Namespace", metadata: { annotations: { "linkerd.io/inject": "disabled" } } });
            const workload = resource(
                T.deployment,
                "scorer",
                { apiVersion: "apps/v1", kind: "Deployment", metadata: { namespace: UNKNOWN }, spec: { template: { spec: { containers: [secureContainer()] } } } },
                { propertyDependencies: { metadata: [autoNamed.urn] } },
            );
            const report = await check([autoNamed, workload]);
            assertViolates(report, policy, autoNamed.urn, /hosts scorer\) is not meshed: linkerd.io\/inject is 'disabled'/);
        });

        it("fails closed when a namespace unknown during preview is not computed from a Namespace in the stack", async () => {
            const workload = resource(T.deployment, "scorer", { apiVersion: "apps/v1", kind: "Deployment", metadata: { namespace: UNKNOWN }, spec: { template: { spec: { containers: [secureContainer()] } } } });
            const report = await check([namespace("models"), workload]);
            assertViolates(report, policy, workload.urn, /'scorer' runs in a namespace .*cannot be verified/);
        });

        it("flags workloads in namespaces the stack does not declare, and pods that opt out", async () => {
            const stray = deployment("stray", "default");
            const optOut = deployment("opt-out", "models", undefined, { "linkerd.io/inject": "disabled" });
            const loosened = deployment("loose", "models", undefined, { "config.linkerd.io/default-inbound-policy": "all-unauthenticated" });
            const helmCreated = resource(T.release, "tool", { chart: "tool", namespace: "tools", createNamespace: true, values: {} });
            const report = await check([namespace("models"), stray, optOut, loosened, helmCreated]);
            assertViolates(report, policy, stray.urn, /namespace 'default', which this stack does not declare/);
            assertViolates(report, policy, optOut.urn, /opts its pods out of the mesh/);
            assertViolates(report, policy, loosened.urn, /overrides the default inbound policy/);
            assertViolates(report, policy, helmCreated.urn, /namespace 'tools'/);
        });

        it("exempts system namespaces by default and more through exemptNamespaces", async () => {
            const controlPlane = resource(T.release, "linkerd-control-plane", { chart: "linkerd-control-plane", namespace: "linkerd", values: {} });
            const monitoring = resource(T.release, "prometheus", { chart: "prometheus", namespace: "monitoring", values: {} });
            const report = await check([controlPlane]);
            assert.match(notApplicableReason(report, policy, STACK_URN) ?? "", /No workloads outside exempt namespaces/);
            assertViolates(await check([controlPlane, monitoring]), policy, monitoring.urn);
            const configured = await check([controlPlane, monitoring], "prod", { all: "mandatory", [policy]: { exemptNamespaces: ["linkerd", "monitoring"] } });
            assert.deepEqual(violationsOf(configured, policy), []);
        });

        it("counts Helm releases and the AML Kubernetes compute namespace as workloads", async () => {
            const edgeNs = namespace("edge", {});
            const mlNs = namespace("azureml-workloads", { "linkerd.io/inject": "enabled" });
            const controller = resource(T.release, "nginx", { chart: "oci://ghcr.io/nginx/charts/nginx-ingress", namespace: "edge", values: {} });
            const compute = resource(T.compute, "k8s", {
                resourceGroupName: "rg",
                workspaceName: "mlw",
                properties: { computeType: "Kubernetes", properties: { namespace: "azureml-workloads" } },
            });
            const report = await check([edgeNs, mlNs, controller, compute]);
            assertViolates(report, policy, edgeNs.urn, /hosts nginx/);
            assertViolates(report, policy, mlNs.urn, /hosts k8s\) has no config.linkerd.io\/default-inbound-policy/);
        });
    });

    describe("mesh-server-authorized", () => {
        const policy = "mesh-server-authorized";
        const server = (name: string, ns = "models") =>
            resource(T.server, name, { apiVersion: "policy.linkerd.io/v1beta3", kind: "Server", metadata: { name, namespace: ns }, spec: { podSelector: { matchLabels: { app: name } }, port: "http" } });
        const authn = [{ group: "policy.linkerd.io", kind: "MeshTLSAuthentication", name: "edge-only" }];
        const authz = (name: string, targetRef: Record<string, unknown>, ns = "models", requiredAuthenticationRefs: unknown[] = authn, extras = {}) =>
            resource(T.authorizationPolicy, name, { apiVersion: "policy.linkerd.io/v1alpha1", kind: "AuthorizationPolicy", metadata: { name, namespace: ns }, spec: { targetRef, requiredAuthenticationRefs } }, extras);

        it("passes Servers covered directly, through an HTTPRoute, or namespace-wide", async () => {
            const direct = server("scorer");
            const routed = server("features");
            const wide = server("batch", "jobs");
            const route = resource(T.httpRoute, "features-route", {
                apiVersion: "policy.linkerd.io/v1beta3",
                kind: "HTTPRoute",
                metadata: { name: "features-route", namespace: "models" },
                spec: { parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: "features" }], rules: [{ matches: [{ path: { value: "/features" } }] }] },
            });
            const report = await check([
                direct,
                routed,
                wide,
                route,
                authz("scorer-authz", { group: "policy.linkerd.io", kind: "Server", name: "scorer" }),
                authz("features-authz", { group: "policy.linkerd.io", kind: "HTTPRoute", name: "features-route" }),
                authz("jobs-authz", { kind: "Namespace", name: "jobs" }, "jobs"),
            ]);
            assert.deepEqual(violationsOf(report, policy), []);
            assert.equal(notApplicableReason(report, policy, STACK_URN), undefined);
        });

        it("flags a Server without an AuthorizationPolicy, or covered only by one that requires no authentication", async () => {
            const lonely = server("lonely");
            const open = server("open");
            const elsewhere = server("elsewhere", "other");
            const report = await check([lonely, open, elsewhere, authz("open-authz", { group: "policy.linkerd.io", kind: "Server", name: "open" }, "models", []), authz("wrong-ns", { group: "policy.linkerd.io", kind: "Server", name: "elsewhere" })]);
            assertViolates(report, policy, lonely.urn, /Server models\/lonely has no AuthorizationPolicy/);
            assertViolates(report, policy, open.urn);
            assertViolates(report, policy, elsewhere.urn, /other\/elsewhere/);
        });

        it("resolves a target name unknown during preview through the spec's property dependencies", async () => {
            const autoNamed = resource(T.server, "scorer", { apiVersion: "policy.linkerd.io/v1beta3", kind: "Server", metadata: { namespace: "models" }, spec: { port: 8080 } });
            const policyOnIt = authz("scorer-authz", { group: "policy.linkerd.io", kind: "Server", name: UNKNOWN }, "models", authn, { propertyDependencies: { spec: [autoNamed.urn] } });
            const report = await check([autoNamed, policyOnIt]);
            assert.deepEqual(violationsOf(report, policy), []);
        });

        it("is not applicable without Servers", async () => {
            assert.match(notApplicableReason(await check([namespace("models")]), policy, STACK_URN) ?? "", /No Linkerd Servers/);
        });
    });

    describe("edge routes", () => {
        const auth = nginxPolicy("entra-auth", externalAuthSpec);
        const limit = nginxPolicy("rate-limit", rateLimitSpec);
        const protectedServer = virtualServer("ml", {
            host: "ml.example.com",
            tls: { secret: "ml-tls", redirect: { enable: true } },
            policies: [{ name: "entra-auth" }, { name: "rate-limit" }],
            upstreams: [{ name: "scorer", service: "churn-scorer.models.svc.cluster.local", port: 8080, "use-cluster-ip": true }],
            routes: [{ path: "/models/churn", action: { pass: "scorer" } }],
        });
        const ingress = (name: string, annotations: Record<string, string>, tls: unknown[] = [{ hosts: ["api.example.com"], secretName: "api-tls" }]) =>
            resource(T.ingress, name, {
                apiVersion: "networking.k8s.io/v1",
                kind: "Ingress",
                metadata: { name, namespace: "edge", annotations },
                spec: { ingressClassName: "nginx", tls, rules: [{ host: "api.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "api", port: { number: 80 } } } }] } }] },
            });
        const ingressAnnotations = { "nginx.org/policies": "entra-auth", "nginx.org/limit-req-rate": "50r/s", "nginx.org/use-cluster-ip": "true" };

        it("pass a VirtualServer with TLS, externalAuth and rateLimit, and an Ingress with TLS, nginx.org/policies and limit-req-rate", async () => {
            const goodIngress = ingress("api", ingressAnnotations);
            const report = await check([auth, limit, protectedServer, goodIngress]);
            for (const policy of ["edge-tls-required", "edge-snippets-disabled"]) {
                assertPasses(report, policy, protectedServer.urn);
                assertPasses(report, policy, goodIngress.urn);
            }
            for (const policy of ["edge-external-auth-required", "edge-rate-limit-required"]) {
                assert.deepEqual(violationsOf(report, policy), []);
                assert.equal(notApplicableReason(report, policy, STACK_URN), undefined);
            }
        });

        it("edge-tls-required: flags a VirtualServer without a TLS secret and Ingresses without TLS for their hosts", async () => {
            const plain = virtualServer("plain", { host: "ml.example.com", policies: [{ name: "entra-auth" }] });
            const noTls = ingress("no-tls", ingressAnnotations, []);
            const wrongHost = ingress("wrong-host", ingressAnnotations, [{ hosts: ["other.example.com"], secretName: "other" }]);
            const report = await check([plain, noTls, wrongHost]);
            assertViolates(report, "edge-tls-required", plain.urn, /spec\.tls\.secret is not set/);
            assertViolates(report, "edge-tls-required", noTls.urn, /spec\.tls is empty/);
            assertViolates(report, "edge-tls-required", wrongHost.urn, /Host api\.example\.com has no TLS entry/);
        });

        it("edge-external-auth-required: checks every route, including delegated VirtualServerRoute subroutes", async () => {
            const partly = virtualServer("partly", {
                host: "ml.example.com",
                tls: { secret: "ml-tls" },
                policies: [{ name: "rate-limit" }],
                routes: [
                    { path: "/models", policies: [{ name: "entra-auth" }], action: { pass: "scorer" } },
                    { path: "/debug", action: { pass: "scorer" } },
                    { path: "/features", route: "features/features-vsr" },
                ],
            });
            const subroutes = resource(T.virtualServerRoute, "features-vsr", {
                apiVersion: "k8s.nginx.org/v1",
                kind: "VirtualServerRoute",
                metadata: { name: "features-vsr", namespace: "features" },
                spec: {
                    host: "ml.example.com",
                    subroutes: [
                        { path: "/features/online", policies: [{ name: "entra-auth", namespace: "edge" }], action: { pass: "api" } },
                        { path: "/features/admin", action: { pass: "api" } },
                    ],
                },
            });
            const report = await check([auth, limit, partly, subroutes]);
            const messages = violationsOf(report, "edge-external-auth-required").map((violation) => violation.message);
            assert.ok(messages.some((message) => /VirtualServer edge\/partly route \/debug has no externalAuth Policy/.test(message)), messages.join("\n"));
            assert.ok(messages.some((message) => /VirtualServerRoute features\/features-vsr route \/features\/admin/.test(message)), messages.join("\n"));
            assert.equal(messages.length, 2, "the protected routes pass");
        });

        it("edge-external-auth-uri-unique: flags a second Policy with the same authURI on one VirtualServer, not one Policy reused or another host", async () => {
            const admin = nginxPolicy("admin-auth", { externalAuth: { ...externalAuthSpec.externalAuth, authURI: "/authorize" } });
            const own = nginxPolicy("own-auth", { externalAuth: { ...externalAuthSpec.externalAuth, authURI: "/authorize?route=edge/own&roles=Model.Admin" } });
            const host = (name: string, hostName: string, second: string) =>
                virtualServer(name, {
                    host: hostName,
                    tls: { secret: "ml-tls" },
                    policies: [{ name: "rate-limit" }],
                    routes: [
                        { path: "/models", policies: [{ name: "entra-auth" }], action: { pass: "scorer" } },
                        { path: "/models-again", policies: [{ name: "entra-auth" }], action: { pass: "scorer" } },
                        { path: "/admin", policies: [{ name: second }], action: { pass: "scorer" } },
                    ],
                });
            const clashing = host("clashing", "ml.example.com", "admin-auth");
            const distinct = host("distinct", "api.example.com", "own-auth");
            const report = await check([auth, admin, own, limit, clashing, distinct]);
            const violations = violationsOf(report, "edge-external-auth-uri-unique");
            assert.equal(violations.length, 1, violations.map((violation) => violation.message).join("\n"));
            assertViolates(report, "edge-external-auth-uri-unique", admin.urn, /route \/admin: Policy edge\/admin-auth repeats authURI \/authorize of Policy edge\/entra-auth on VirtualServer edge\/clashing/);
        });

        it("edge-external-auth-required: a delegating route's own policies cover the VirtualServerRoute's subroutes", async () => {
            const delegating = virtualServer("delegating", {
                host: "ml.example.com",
                tls: { secret: "ml-tls" },
                policies: [{ name: "rate-limit" }],
                routes: [{ path: "/features", policies: [{ name: "entra-auth" }], route: "features/features-vsr" }],
            });
            const subroutes = resource(T.virtualServerRoute, "features-vsr", {
                apiVersion: "k8s.nginx.org/v1",
                kind: "VirtualServerRoute",
                metadata: { name: "features-vsr", namespace: "features" },
                spec: { host: "ml.example.com", subroutes: [{ path: "/features/online", action: { pass: "api" } }] },
            });
            const report = await check([auth, limit, delegating, subroutes]);
            assert.deepEqual(violationsOf(report, "edge-external-auth-required"), []);
            assert.deepEqual(violationsOf(report, "edge-rate-limit-required"), []);
        });

        it("edge-external-auth-required: flags references to Policies the stack does not declare, and Ingresses without nginx.org/policies", async () => {
            const dangling = virtualServer("dangling", { host: "ml.example.com", tls: { secret: "t" }, policies: [{ name: "entra-auth", namespace: "elsewhere" }] });
            const bare = ingress("bare", { "nginx.org/limit-req-rate": "10r/s" });
            const report = await check([auth, limit, dangling, bare]);
            assertViolates(report, "edge-external-auth-required", dangling.urn, /not declared in this stack: Policy elsewhere\/entra-auth/);
            assertViolates(report, "edge-external-auth-required", bare.urn, /Ingress edge\/bare route \/ has no externalAuth Policy/);
        });

        it("edge-external-auth-required: resolves a policy name unknown during preview through property dependencies", async () => {
            const previewed = virtualServer("previewed", { host: "ml.example.com", tls: { secret: "t" }, policies: [{ name: UNKNOWN }, { name: UNKNOWN }] }, "edge", { propertyDependencies: { spec: [auth.urn, limit.urn] } });
            const report = await check([auth, limit, previewed]);
            assert.deepEqual(violationsOf(report, "edge-external-auth-required"), []);
            assert.deepEqual(violationsOf(report, "edge-rate-limit-required"), []);
        });

        it("edge rules do not count a Policy whose externalAuth or rateLimit section is unknown during preview", async () => {
            const unknownAuth = nginxPolicy("entra-auth", { externalAuth: UNKNOWN });
            const unknownLimit = nginxPolicy("rate-limit", { rateLimit: UNKNOWN });
            const report = await check([unknownAuth, unknownLimit, protectedServer]);
            assertViolates(report, "edge-external-auth-required", protectedServer.urn, /no externalAuth Policy/);
            assertViolates(report, "edge-rate-limit-required", protectedServer.urn);
        });

        it("stack rules keep judging when some list elements are unknown during preview", async () => {
            const partial = virtualServer("partial", { host: "ml.example.com", tls: { secret: "t" }, routes: [UNKNOWN, { path: "/open", action: { pass: "x" } }] });
            const hosts = ingress("hosts", ingressAnnotations, [{ hosts: UNKNOWN, secretName: "t" }]);
            const report = await check([auth, limit, partial, hosts]);
            assertViolates(report, "edge-external-auth-required", partial.urn, /route \/open has no externalAuth Policy/);
            assert.ok(report.violations.every((violation) => !/can't run/.test(violation.message)), JSON.stringify(report.violations, null, 1));
            assertPasses(report, "edge-tls-required", hosts.urn);
        });

        it("edge-rate-limit-required: flags a missing or dry-run rate limit and an Ingress without limit-req-rate", async () => {
            const dryRun = nginxPolicy("dry", { rateLimit: { ...rateLimitSpec.rateLimit, dryRun: true } });
            const unlimited = virtualServer("unlimited", { host: "a.example.com", tls: { secret: "t" }, policies: [{ name: "entra-auth" }, { name: "dry" }] });
            const noLimit = ingress("no-limit", { "nginx.org/policies": "edge/entra-auth" });
            const report = await check([auth, dryRun, unlimited, noLimit]);
            assertViolates(report, "edge-rate-limit-required", unlimited.urn, /no rateLimit Policy/);
            assertViolates(report, "edge-rate-limit-required", noLimit.urn, /no nginx.org\/limit-req-rate/);
            assert.deepEqual(violationsOf(report, "edge-external-auth-required", noLimit.urn), [], "edge/entra-auth resolves");
        });

        it("edge-rate-limit-required: a narrower Policy of the same type overrides the broader one (a route-level dry run undoes the spec-level limit)", async () => {
            const dryRun = nginxPolicy("dry", { rateLimit: { ...rateLimitSpec.rateLimit, dryRun: true } });
            const overridden = virtualServer("overridden", {
                host: "ml.example.com",
                tls: { secret: "ml-tls" },
                policies: [{ name: "entra-auth" }, { name: "rate-limit" }],
                routes: [
                    { path: "/models", policies: [{ name: "dry" }], action: { pass: "scorer" } },
                    { path: "/features", action: { pass: "api" } },
                ],
            });
            const report = await check([auth, limit, dryRun, overridden]);
            const messages = violationsOf(report, "edge-rate-limit-required").map((violation) => violation.message);
            assert.deepEqual(messages, ["VirtualServer edge/overridden route /models has no rateLimit Policy."]);
            assert.deepEqual(violationsOf(report, "edge-external-auth-required"), [], "a Policy of another type does not override the spec-level externalAuth");
        });

        it("edge-snippets-disabled: flags enableSnippets, snippet annotations and fields, and authSnippets", async () => {
            const chart = (enableSnippets: unknown) =>
                resource(T.release, `nginx-${String(enableSnippets)}`, { chart: "oci://ghcr.io/nginx/charts/nginx-ingress", version: "2.6.4", namespace: "edge", values: { controller: { enableSnippets, enableCustomResources: true } } });
            const off = chart(false);
            const on = chart(true);
            const other = resource(T.release, "other", { chart: "grafana", namespace: "monitoring", values: { controller: { enableSnippets: true } } });
            const annotated = ingress("snippy", { ...ingressAnnotations, "nginx.org/server-snippets": "location /x { return 200; }" });
            const vsSnippets = virtualServer("vs-snippets", { host: "a", tls: { secret: "t" }, "server-snippets": "add_header X 1;", routes: [{ path: "/", "location-snippets": "deny all;" }] });
            const authSnippets = nginxPolicy("auth-snippets", { externalAuth: { ...externalAuthSpec.externalAuth, authSnippets: "proxy_set_header X 1;" } });
            const report = await check([off, on, other, annotated, vsSnippets, authSnippets]);
            assertPasses(report, "edge-snippets-disabled", off.urn);
            assertViolates(report, "edge-snippets-disabled", on.urn, /enableSnippets is true/);
            assert.match(notApplicableReason(report, "edge-snippets-disabled", other.urn) ?? "", /Not the NGINX ingress controller chart/);
            assertViolates(report, "edge-snippets-disabled", annotated.urn, /nginx.org\/server-snippets/);
            assert.equal(violationsOf(report, "edge-snippets-disabled", vsSnippets.urn).length, 2);
            assertViolates(report, "edge-snippets-disabled", authSnippets.urn, /authSnippets/);
        });

        it("edge-no-retired-ingress-nginx: refuses the community chart and controller image, even in dev", async () => {
            const retired = resource(T.release, "ingress", { chart: "ingress-nginx", version: "4.12.1", repositoryOpts: { repo: "https://kubernetes.github.io/ingress-nginx" }, namespace: "edge", values: {} }, { stack: "dev" });
            const byUrl = resource(T.release, "ingress-url", { chart: "https://kubernetes.github.io/ingress-nginx/ingress-nginx-4.12.1.tgz", namespace: "edge", values: {} }, { stack: "dev" });
            const f5 = resource(T.release, "nginx", { chart: "oci://ghcr.io/nginx/charts/nginx-ingress", version: "2.6.4", namespace: "edge", values: {} }, { stack: "dev" });
            const image: CapturedResource = deployment("controller", "edge", { containers: [secureContainer({ image: "registry.k8s.io/ingress-nginx/controller:v1.12.1" })] }, {}, { stack: "dev" });
            const report = await check([retired, byUrl, f5, image], "dev");
            const [violation] = assertViolates(report, "edge-no-retired-ingress-nginx", retired.urn, /retired community ingress-nginx/);
            assert.equal(violation.level, "mandatory");
            assertViolates(report, "edge-no-retired-ingress-nginx", byUrl.urn);
            assertPasses(report, "edge-no-retired-ingress-nginx", f5.urn);
            assertViolates(report, "edge-no-retired-ingress-nginx", image.urn, /registry.k8s.io\/ingress-nginx\/controller/);
        });
    });
});
