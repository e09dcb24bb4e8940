import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { EDGE_AUTHORIZER_IMAGE } from "../../components/versions";
import type * as pulumi from "@pulumi/pulumi";
import { CLUSTER_NAMES, deployClusterServices, deployMesh, type ClusterServices } from "../../infra/cluster-services";
import { INFERENCE_ROUTE, parseStackConfig, type StackConfig } from "../../infra/config";
import { editConfig, PROJECT_ROOT, runComponents, shippedStackConfig, type PlannedStack, type TestResource } from "../harness";
import { customResources, namespacesToMesh, objectName, objectNamespace } from "../support/cluster-fixtures";
import { assertCustomResourcesValid } from "../support/crd-schemas";
import { fakeClusterDeps, TEST_API_CLIENT_ID, TEST_API_IDENTIFIER_URI, TEST_REGISTRY, TEST_ROUTER_CA_PEM, TEST_WORKSPACE_ID } from "../support/fake-azure-deps";
import { assertArtifactsPinned } from "../support/pinned-artifacts";
import { assertNoPlainPrivateKeys, containsPrivateKey } from "../support/secrets-scan";

type Env = "dev" | "staging" | "prod";
const ENVIRONMENTS: Env[] = ["dev", "staging", "prod"];

interface Planned {
    config: StackConfig;
    stack: PlannedStack;
    services: ClusterServices;
    requested: ReturnType<typeof fakeClusterDeps>["requested"];
}

async function plan(env: Env, raw = shippedStackConfig(env)): Promise<Planned> {
    const config = parseStackConfig(raw);
    let services: ClusterServices | undefined;
    let requested: Planned["requested"] | undefined;
    const stack = await runComponents(() => {
        const deps = fakeClusterDeps();
        requested = deps.requested;
        services = deployClusterServices(config, deps);
    });
    return { config, stack, services: services!, requested: requested! };
}

const NGINX = "k8s.nginx.org/v1";
const LINKERD_POLICY = "policy.linkerd.io";
const NAMESPACED_WORKLOADS = /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet)|core\/v1:(Pod|ServiceAccount|Service)|helm\.sh\/v3:Release)$/;

/** Mesh settings of every namespace the run creates or adopts. */
function meshedNamespaces(stack: PlannedStack): Map<string, Record<string, string>> {
    const found = new Map<string, Record<string, string>>();
    for (const ns of [...stack.ofType("kubernetes:core/v1:Namespace"), ...stack.ofType("kubernetes:core/v1:NamespacePatch")]) {
        found.set(String(ns.input("metadata.name")), (ns.input("metadata.annotations") ?? {}) as Record<string, string>);
    }
    return found;
}

function namespaceOf(resource: TestResource): string | undefined {
    if (resource.type === "kubernetes:helm.sh/v3:Release") return resource.input("namespace") as string | undefined;
    return resource.input("metadata.namespace") as string | undefined;
}

function policiesOf(stack: PlannedStack, vsr: TestResource): TestResource[] {
    const names = (vsr.input("spec.subroutes") as { policies?: { name: string; namespace?: string }[] }[]).flatMap((s) => s.policies ?? []);
    return names.map((ref) => {
        const namespace = ref.namespace ?? objectNamespace(vsr);
        const policy = customResources(stack, NGINX, "Policy").find((p) => objectName(p) === ref.name && objectNamespace(p) === namespace);
        assert.ok(policy, `${objectName(vsr)} references missing policy ${namespace}/${ref.name}`);
        return policy;
    });
}

/** The identities allowed to reach the pods behind a Server, via every AuthorizationPolicy that targets it or its routes. */
function admittedIdentities(stack: PlannedStack, server: TestResource): { kind: string; name: string; namespace?: string }[] {
    const namespace = objectNamespace(server);
    const inNamespace = (kind: string, version: string) => customResources(stack, `${LINKERD_POLICY}/${version}`, kind).filter((r) => objectNamespace(r) === namespace);
    const routes = inNamespace("HTTPRoute", "v1beta3").filter((r) => (r.input("spec.parentRefs") as { name: string }[]).some((p) => p.name === objectName(server)));
    const targets = new Set([`Server/${objectName(server)}`, ...routes.map((r) => `HTTPRoute/${objectName(r)}`)]);
    const policies = inNamespace("AuthorizationPolicy", "v1alpha1").filter((p) => targets.has(`${p.input("spec.targetRef.kind")}/${p.input("spec.targetRef.name")}`));
    return policies.flatMap((policy) =>
        (policy.input("spec.requiredAuthenticationRefs") as { kind: string; name: string }[]).flatMap((ref) => {
            if (ref.kind === "NetworkAuthentication") return [{ kind: "Network", name: ref.name }];
            const authn = inNamespace(ref.kind, "v1alpha1").find((a) => objectName(a) === ref.name);
            assert.ok(authn, `missing ${ref.kind} ${ref.name}`);
            return authn.input("spec.identityRefs") as { kind: string; name: string; namespace: string }[];
        }),
    );
}

describe("cluster services (infra/cluster-services.ts)", function () {
    this.timeout(60_000);
    const runs = new Map<Env, Planned>();
    before(async () => {
        for (const env of ENVIRONMENTS) runs.set(env, await plan(env));
    });

    for (const env of ENVIRONMENTS) {
        describe(env, () => {
            const run = () => runs.get(env)!;

            it("meshes every namespace with workloads, never with a permissive default", () => {
                const { stack, config } = run();
                const meshed = meshedNamespaces(stack);
                const needed = namespacesToMesh(config);
                for (const resource of stack.resources.filter((r) => NAMESPACED_WORKLOADS.test(r.type) || r.type.startsWith(`kubernetes:${NGINX}`))) {
                    const namespace = namespaceOf(resource);
                    if (namespace) needed.add(namespace);
                }
                needed.delete("linkerd"); // the control plane injects its own proxies
                for (const namespace of needed) {
                    const annotations = meshed.get(namespace);
                    assert.ok(annotations, `namespace ${namespace} has workloads but is not meshed`);
                    assert.equal(annotations["linkerd.io/inject"], "enabled", namespace);
                    assert.ok(["deny", "all-authenticated"].includes(annotations["config.linkerd.io/default-inbound-policy"]), `${namespace} default policy`);
                    assert.equal(annotations["config.linkerd.io/default-inbound-policy"], config.mesh.defaultInboundPolicy);
                    assert.equal(annotations["config.linkerd.io/access-log"] === "json", config.mesh.accessLogs, `${namespace} access logs`);
                }
            });

            it("publishes every configured route and the inference route (through the token swap) with TLS, external auth, a rate limit and an ingress-only backend", () => {
                const { stack, config } = run();
                const expected = [
                    ...config.routes.map((r) => ({ name: r.name, host: r.host ?? config.edge.hostName, path: r.path, roles: r.roles, rate: r.rateLimit ?? config.edge.rateLimit, namespace: r.backend.namespace, port: r.backend.port })),
                    { name: INFERENCE_ROUTE.name, host: config.edge.hostName, path: INFERENCE_ROUTE.path, roles: [...INFERENCE_ROUTE.roles], rate: config.edge.rateLimit, namespace: CLUSTER_NAMES.swapNamespace, port: 8080 },
                ];
                const vsrs = customResources(stack, NGINX, "VirtualServerRoute");
                assert.equal(vsrs.length, expected.length);
                for (const route of expected) {
                    const vsr = vsrs.find((r) => objectName(r) === route.name && objectNamespace(r) === route.namespace);
                    assert.ok(vsr, `no VirtualServerRoute for ${route.name}`);
                    // TLS: the host's VirtualServer delegates the path and terminates TLS.
                    const vs = customResources(stack, NGINX, "VirtualServer").find((v) => v.input("spec.host") === route.host);
                    assert.ok(vs, `no VirtualServer for ${route.host}`);
                    assert.ok(vs.input("spec.tls.secret"), `${route.host} has no TLS secret`);
                    assert.ok((vs.input("spec.routes") as { path: string; route: string }[]).some((d) => d.path === route.path && d.route === `${route.namespace}/${route.name}`));
                    // Upstream through the mesh.
                    for (const upstream of vsr.input("spec.upstreams") as Record<string, unknown>[]) assert.equal(upstream["use-cluster-ip"], true);
                    // External auth with the route's roles, against the authorizer.
                    const attached = policiesOf(stack, vsr);
                    const auth = attached.find((p) => p.input("spec.externalAuth") !== undefined);
                    assert.ok(auth, `${route.name} has no externalAuth policy`);
                    assert.equal(auth.input("spec.externalAuth.authServiceName"), `${CLUSTER_NAMES.authorizerNamespace}/edge-authorizer`);
                    assert.match(String(auth.input("spec.externalAuth.authURI")), new RegExp(`^/authorize\\?route=${route.namespace}/${route.name}&roles=${route.roles.join(",").replace(/\./g, "\\.")}(&|$)`));
                    // Per-client rate limit.
                    const limit = attached.find((p) => p.input("spec.rateLimit") !== undefined);
                    assert.ok(limit, `${route.name} has no rateLimit policy`);
                    assert.equal(limit.input("spec.rateLimit.key"), "${binary_remote_addr}");
                    assert.equal(limit.input("spec.rateLimit.rate"), `${route.rate.requestsPerSecond}r/s`);
                    // Backend admits only the ingress identity.
                    const servers = customResources(stack, `${LINKERD_POLICY}/v1beta3`, "Server").filter((s) => objectNamespace(s) === route.namespace);
                    assert.ok(servers.length > 0, `${route.namespace} has no Server`);
                    for (const server of servers) {
                        assert.deepEqual(admittedIdentities(stack, server), [{ kind: "ServiceAccount", name: CLUSTER_NAMES.ingressServiceAccount, namespace: CLUSTER_NAMES.ingressNamespace }]);
                    }
                }
            });

            it("lets only the ingress controller's identity call the authorizer (and the kubelet its probes)", () => {
                const { stack } = run();
                const [server] = customResources(stack, `${LINKERD_POLICY}/v1beta3`, "Server").filter((s) => objectNamespace(s) === CLUSTER_NAMES.authorizerNamespace);
                const admitted = admittedIdentities(stack, server);
                assert.deepEqual(admitted.filter((a) => a.kind !== "Network"), [{ kind: "ServiceAccount", name: CLUSTER_NAMES.ingressServiceAccount, namespace: CLUSTER_NAMES.ingressNamespace }]);
                const probeRoute = customResources(stack, `${LINKERD_POLICY}/v1beta3`, "HTTPRoute").find((r) => objectName(r).endsWith("-probes"))!;
                const probeMethods = (probeRoute.input("spec.rules") as { matches: { method: string }[] }[]).flatMap((r) => r.matches.map((m) => m.method));
                assert.ok(probeMethods.every((m) => m === "GET"), "the network-authorized route only carries probe GETs");
            });

            it("keeps every private key out of Helm values, ConfigMaps and other plain inputs", () => {
                const { stack } = run();
                assertNoPlainPrivateKeys(stack.evaluation.resources);
                for (const release of stack.ofType("kubernetes:helm.sh/v3:Release")) assert.ok(!containsPrivateKey(release.inputs), release.name);
                for (const configMap of stack.ofType("kubernetes:core/v1:ConfigMap")) assert.ok(!containsPrivateKey(configMap.inputs), configMap.name);
            });

            it("takes every chart, image and manifest from components/versions.ts, none floating", () => {
                const { stack, config } = run();
                assertArtifactsPinned(stack.evaluation.resources, `${TEST_REGISTRY}/${EDGE_AUTHORIZER_IMAGE.repository}@${config.edge.authorizer.digest}`);
                for (const release of stack.ofType("kubernetes:helm.sh/v3:Release")) assert.match(String(release.input("version")), /^\d+\.\d+\.\d+$/);
            });

            it("emits only custom resources that validate against the upstream CRD schemas", function () {
                assertCustomResourcesValid(run().stack.evaluation.resources, 11);
            });
        });
    }

    it("gives the ingress controller its own workload identity, allowed to read only the TLS certificate", () => {
        const { requested, config, stack } = runs.get("prod")!;
        assert.deepEqual(requested.identities, [
            { name: "nginx-ingress", namespace: CLUSTER_NAMES.ingressNamespace, serviceAccount: CLUSTER_NAMES.ingressServiceAccount },
            { name: "aml-token-swap", namespace: CLUSTER_NAMES.swapNamespace, serviceAccount: CLUSTER_NAMES.swapServiceAccount },
        ]);
        assert.deepEqual(requested.grants, [{ secretName: config.edge.tlsCertificateName }]);
        const grant = stack.one("azure-native:authorization:RoleAssignment", `kv-secret-user-${config.edge.tlsCertificateName}`);
        assert.match(String(grant.input("scope")), new RegExp(`/secrets/${config.edge.tlsCertificateName}$`));
        const release = stack.one("kubernetes:helm.sh/v3:Release", "nginx-ingress");
        assert.ok(release.dependsOn(grant), "pods mount the certificate only after the grant exists");
        const spc = stack.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass");
        const clientId = String(spc.input("spec.parameters.clientID"));
        assert.match(clientId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        const values = release.input("values") as Record<string, any>;
        assert.equal(values.controller.serviceAccount.annotations["azure.workload.identity/client-id"], clientId, "the CSI driver and the pod use the same identity");
        assert.ok(spc.inputSources("spec").includes(stack.one("azure-native:managedidentity:UserAssignedIdentity", "id-nginx-ingress").urn), "the client ID comes from the identity the Azure side created");
    });

    it("sizes the edge from the config: replicas, exposure, HA outside dev", () => {
        for (const env of ENVIRONMENTS) {
            const { stack, config } = runs.get(env)!;
            const values = stack.one("kubernetes:helm.sh/v3:Release", "nginx-ingress").input("values") as Record<string, any>;
            assert.equal(values.controller.replicaCount, config.edge.controllerReplicas);
            assert.equal(values.controller.service.annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] === "true", config.edge.exposure === "internal");
            assert.equal(values.controller.podDisruptionBudget?.enabled === true, env !== "dev");
            assert.equal(stack.one("kubernetes:apps/v1:Deployment", "edge-authorizer").input("spec.replicas"), config.edge.authorizer.replicas);
            const controlPlane = stack.one("kubernetes:helm.sh/v3:Release", "linkerd-control-plane").input("values") as Record<string, any>;
            assert.equal(controlPlane.highAvailability === true, config.mesh.highAvailability);
        }
    });

    it("configures the authorizer from the API app and runs the build the stack pins by digest, unless it names another image", async () => {
        const { stack, config } = runs.get("prod")!;
        const env = Object.fromEntries(
            ((stack.one("kubernetes:apps/v1:Deployment", "edge-authorizer").input("spec.template.spec.containers[0].env") as { name: string; value: string }[]).map((e) => [e.name, e.value])),
        );
        assert.equal(env.AUTHZ_ISSUER, `https://login.microsoftonline.com/${config.tenantId}/v2.0`);
        assert.equal(env.AUTHZ_TENANT_ID, config.tenantId);
        assert.equal(env.AUTHZ_AUDIENCES, `${TEST_API_IDENTIFIER_URI},${TEST_API_CLIENT_ID}`);
        assert.equal(
            stack.one("kubernetes:apps/v1:Deployment", "edge-authorizer").input("spec.template.spec.containers[0].image"),
            `${TEST_REGISTRY}/${EDGE_AUTHORIZER_IMAGE.repository}@${config.edge.authorizer.digest}`,
        );
        const pinned = "myregistry.azurecr.io/edge-authorizer@sha256:" + "a".repeat(64);
        const raw = editConfig(shippedStackConfig("prod"), "amlmesh:edge", (edge) => ({ ...(edge as object), authorizer: { replicas: 3, image: pinned } }));
        const custom = await plan("prod", raw);
        assert.equal(custom.stack.one("kubernetes:apps/v1:Deployment", "edge-authorizer").input("spec.template.spec.containers[0].image"), pinned);
    });

    it("selects a route's backend pods by app.kubernetes.io/name unless the route names its own labels and target port", async () => {
        const serverOf = (stack: PlannedStack, namespace: string) =>
            customResources(stack, `${LINKERD_POLICY}/v1beta3`, "Server").find((server) => objectNamespace(server) === namespace)!;
        const { stack } = runs.get("prod")!;
        assert.deepEqual(serverOf(stack, "models").input("spec.podSelector.matchLabels"), { "app.kubernetes.io/name": "churn-scorer" });
        const raw = editConfig(shippedStackConfig("prod"), "amlmesh:routes", (routes: any) =>
            routes.map((route: any) => (route.name === "churn-scoring" ? { ...route, backend: { ...route.backend, podSelector: { app: "scorer", tier: "model" }, targetPort: "http" } } : route)),
        );
        const custom = await plan("prod", raw);
        const server = serverOf(custom.stack, "models");
        assert.deepEqual(server.input("spec.podSelector.matchLabels"), { app: "scorer", tier: "model" });
        assert.equal(server.input("spec.port"), "http");
    });

    it("pins the authorizer tag to the service's package version, the tag CI builds", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "services", "edge-authorizer", "package.json"), "utf8")) as { version: string };
        assert.equal(EDGE_AUTHORIZER_IMAGE.tag, pkg.version);
    });

    it("annotates the ServiceAccounts of in-cluster callers with their managed identities", () => {
        const { stack } = runs.get("prod")!;
        const account = stack.resources.find((r) => r.type === "kubernetes:core/v1:ServiceAccount" && r.input("metadata.name") === "feature-api");
        assert.ok(account);
        assert.equal(account.input("metadata.namespace"), "features");
        assert.equal(account.input(["metadata", "annotations", "azure.workload.identity/client-id"]), "0b6f4b7e-9d51-4c2e-8f5d-3a0e4b1c2d3f");
    });

    it("meshes the inference router's namespace as one it creates (never a patch of someone else's)", () => {
        const { stack } = runs.get("prod")!;
        assert.equal(stack.resources.filter((r) => r.type === "kubernetes:core/v1:NamespacePatch").length, 0);
        assert.ok(stack.resources.some((r) => r.type === "kubernetes:core/v1:Namespace" && r.input("metadata.name") === "azureml"));
    });

    it("sends the inference route through the token swap: ingress → swap → router, each hop admitting only the one before", () => {
        const { stack, requested } = runs.get("prod")!;
        const vsr = customResources(stack, NGINX, "VirtualServerRoute").find((r) => objectName(r) === INFERENCE_ROUTE.name)!;
        assert.equal(objectNamespace(vsr), CLUSTER_NAMES.swapNamespace);
        const [upstream] = vsr.input("spec.upstreams") as Record<string, any>[];
        assert.equal(upstream.service, "aml-token-swap");
        assert.equal(upstream.tls, undefined, "the swap speaks plain HTTP inside the mesh (Linkerd's mTLS)");
        const admitted = (namespace: string) =>
            customResources(stack, `${LINKERD_POLICY}/v1beta3`, "Server")
                .filter((server) => objectNamespace(server) === namespace)
                .map((server) => admittedIdentities(stack, server));
        assert.deepEqual(admitted(CLUSTER_NAMES.swapNamespace), [[{ kind: "ServiceAccount", name: CLUSTER_NAMES.ingressServiceAccount, namespace: CLUSTER_NAMES.ingressNamespace }]]);
        assert.deepEqual(admitted("azureml"), [[{ kind: "ServiceAccount", name: CLUSTER_NAMES.swapServiceAccount, namespace: CLUSTER_NAMES.swapNamespace }]]);
        // Its Azure permission: the one token-action grant, waited for by the pods.
        assert.equal(requested.endpointTokenGrants, 1);
        const swap = stack.one("kubernetes:apps/v1:Deployment", "aml-token-swap");
        assert.ok(swap.dependsOn(stack.one("azure-native:authorization:RoleAssignment", "mlw-endpoint-token-1")));
        const container = (swap.input("spec.template.spec.containers") as Record<string, any>[])[0];
        assert.deepEqual(container.command, ["node", "dist/swap-main.js"]);
        assert.equal(container.image, stack.one("kubernetes:apps/v1:Deployment", "edge-authorizer").input("spec.template.spec.containers[0].image"));
        const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
        assert.equal(env.SWAP_WORKSPACE_ID, TEST_WORKSPACE_ID);
        assert.equal(env.SWAP_ROUTER_URL, "https://azureml-fe.azureml.svc.cluster.local:443");
        assert.equal(stack.one("kubernetes:core/v1:ConfigMap", "aml-token-swap-router-ca").input(["data", "ca.pem"]), TEST_ROUTER_CA_PEM, "the swap trusts only the router's own certificate");
        assert.equal(swap.input(["spec", "template", "metadata", "labels", "azure.workload.identity/use"]), "true");
    });

    it("creates the ML namespace before the compute attaches to it, and every Kubernetes object with the cluster's provider", () => {
        const { stack, config, services } = runs.get("prod")!;
        assert.ok(services.namespaces.get(config.ml.kubernetesNamespace));
        for (const resource of stack.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            assert.match(resource.captured.provider ?? "", /pulumi:providers:kubernetes::aks::/, `${resource.type} ${resource.name}`);
        }
    });

    it("creates custom resources only after their CRDs: routes after the controller release and the authorizer, mesh policy after the control plane", () => {
        const { stack } = runs.get("prod")!;
        const release = stack.one("kubernetes:helm.sh/v3:Release", "nginx-ingress");
        const authorizerDeployment = stack.one("kubernetes:apps/v1:Deployment", "edge-authorizer");
        for (const resource of [...customResources(stack, NGINX, "VirtualServerRoute"), ...customResources(stack, NGINX, "Policy")]) {
            assert.ok(resource.dependsOn(release), `${resource.name} waits for the k8s.nginx.org CRDs`);
            assert.ok(resource.dependsOn(authorizerDeployment), `${resource.name} waits for the authorizer`);
        }
        const controlPlane = stack.one("kubernetes:helm.sh/v3:Release", "linkerd-control-plane");
        const namespaces = [...stack.ofType("kubernetes:core/v1:Namespace"), ...stack.ofType("kubernetes:core/v1:NamespacePatch")].filter((ns) => ns.input("metadata.name") !== "linkerd");
        for (const ns of namespaces) assert.ok(ns.dependsOn(controlPlane), `${ns.name} waits for the control plane`);
        for (const resource of stack.resources.filter((r) => r.type.startsWith(`kubernetes:${LINKERD_POLICY}/`))) {
            const ns = namespaces.find((n) => n.input("metadata.name") === objectNamespace(resource))!;
            assert.ok(resource.dependsOn(ns), `${resource.name} waits for its meshed namespace`);
        }
    });

    it("rolls a trust anchor rotation (mesh.pki.anchors) through the bundle, the Helm value and the issuer", async () => {
        const raw = editConfig(shippedStackConfig("prod"), "amlmesh:mesh", (mesh: any) => ({ ...mesh, pki: { ...mesh.pki, anchors: { active: "green", alsoTrusted: "blue" } } }));
        const { stack } = await plan("prod", raw);
        const count = (pem: unknown) => (String(pem).match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
        assert.equal(count(stack.one("kubernetes:core/v1:ConfigMap", "linkerd-trust-roots").input(["data", "ca-bundle.crt"])), 2);
        const values = stack.one("kubernetes:helm.sh/v3:Release", "linkerd-control-plane").input("values") as Record<string, unknown>;
        assert.equal(count(values.identityTrustAnchorsPEM), 2);
        const green = stack.one("tls:index/selfSignedCert:SelfSignedCert", "mesh-pki-anchor-green");
        assert.ok(stack.one("tls:index/locallySignedCert:LocallySignedCert", "mesh-pki-issuer").dependsOn(green));
        assert.equal(stack.one("kubernetes:core/v1:Secret", "linkerd-identity-issuer").input(["stringData", "ca.crt"]), stack.one("tls:index/locallySignedCert:LocallySignedCert", "mesh-pki-issuer").input("caCertPem"));
        const vaultSecrets = stack.ofType("azure-native:keyvault:Secret").map((s) => s.input("secretName")).sort();
        assert.deepEqual(vaultSecrets, ["linkerd-trust-anchor-blue-crt", "linkerd-trust-anchor-blue-key", "linkerd-trust-anchor-green-crt", "linkerd-trust-anchor-green-key"]);
    });

    it("can deploy the mesh first, so the ML namespace is meshed before the compute attaches, without a second control plane", async () => {
        const config = parseStackConfig(shippedStackConfig("staging"));
        let mlNamespace: { name: string; resource: pulumi.Resource } | undefined;
        const stack = await runComponents(() => {
            const deps = fakeClusterDeps();
            const mesh = deployMesh(config, deps);
            mlNamespace = mesh.namespace(config.ml.kubernetesNamespace); // what the Azure side's compute waits for
            deployClusterServices(config, deps, { mesh });
        });
        assert.equal(stack.ofType("amlmesh:mesh:Linkerd").length, 1);
        assert.equal(stack.ofType("amlmesh:mesh:MeshPki").length, 1);
        const created = stack.ofType("kubernetes:core/v1:Namespace").filter((ns) => ns.input("metadata.name") === config.ml.kubernetesNamespace);
        assert.equal(created.length, 1);
        assert.equal(mlNamespace!.name, config.ml.kubernetesNamespace);
        assert.equal(created[0].input(["metadata", "annotations", "linkerd.io/inject"]), "enabled");
    });

    it("refuses a config route on the inference router's path, and a matrix without its role", async () => {
        const clash = editConfig(shippedStackConfig("dev"), "amlmesh:routes", (routes) => [
            ...(routes as object[]),
            { name: "sneaky", path: `${INFERENCE_ROUTE.path}/x`, backend: { namespace: "models", service: "s", port: 80, serviceAccount: "s" }, roles: ["Model.Invoke"] },
        ]);
        await assert.rejects(plan("dev", clash), /reserved for the Azure ML inference router/);
        // Checked with the rest of the config, before any resource is declared.
        const withoutRole = editConfig(shippedStackConfig("dev"), "amlmesh:access", (access) => {
            const { roles, ...rest } = access as { roles: Record<string, unknown> };
            return { ...rest, roles: Object.fromEntries(Object.entries(roles).filter(([role]) => role !== "Model.Invoke")) };
        });
        assert.throws(() => parseStackConfig(withoutRole), /amlmesh:access\.roles: the Azure ML inference route requires the app role Model\.Invoke/);
    });
});
