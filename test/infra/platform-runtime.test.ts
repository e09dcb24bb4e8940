/**
 * Runtime findings of issue 14 (6-14), pinned over the evaluated stacks: what the real program
 * declares for each shipped stack file under the mocks, and the dependency graph the plan records.
 */
import * as assert from "node:assert/strict";
import { readIngressCrds } from "../../components/edge/ingress-crds";
import { CLUSTER_NAMES } from "../../infra/cluster-services";
import { parseStackConfig, type StackConfig } from "../../infra/config";
import { editConfig, roleAssignments, runStack, shippedStackConfig, type PlannedStack, type TestResource } from "../harness";
import { runPolicies } from "../../offline/policy-runner";
import { assertCustomResourcesValid } from "../support/crd-schemas";
import { grantKey, meshGrants, type MeshGrant } from "../support/mesh-grants";
import { plannedStack } from "./azure-stacks";

type Env = "dev" | "staging" | "prod";
const ENVIRONMENTS: Env[] = ["dev", "staging", "prod"];

/** True when `from` reaches `to` through recorded dependencies (the plan's graph, transitively). */
function reaches(stack: PlannedStack, from: TestResource, to: TestResource): boolean {
    const seen = new Set<string>();
    const queue = [from.urn];
    while (queue.length > 0) {
        const urn = queue.pop()!;
        if (urn === to.urn) return true;
        if (seen.has(urn)) continue;
        seen.add(urn);
        const resource = stack.byUrnOf(urn);
        if (!resource) continue;
        queue.push(...resource.captured.dependencies, ...Object.values(resource.captured.propertyDependencies).flat());
    }
    return false;
}

function configOf(env: Env): StackConfig {
    return parseStackConfig(shippedStackConfig(env));
}

function release(stack: PlannedStack, name: string): TestResource {
    return stack.one("kubernetes:helm.sh/v3:Release", name);
}

function namespaceAnnotations(stack: PlannedStack, name: string): Record<string, string> {
    const ns = [...stack.ofType("kubernetes:core/v1:Namespace"), ...stack.ofType("kubernetes:core/v1:NamespacePatch")].find((r) => r.input("metadata.name") === name);
    assert.ok(ns, `namespace ${name} is not declared`);
    return ns.input("metadata.annotations") as Record<string, string>;
}

/** The shipped stack's plan, shared with the other specs (evaluated once per test process). */
const stackFor = (env: Env): Promise<PlannedStack> => plannedStack(env);

describe("issue 14: the platform keeps working after the first deploy", function () {
    this.timeout(120_000);

    describe("finding 8: the ingress release waits for its federated credential", () => {
        for (const env of ENVIRONMENTS) {
            it(`${env}: the NGINX release depends on the credential federating its ServiceAccount`, async () => {
                const stack = await stackFor(env);
                const release = stack.one("kubernetes:helm.sh/v3:Release", "nginx-ingress");
                const credential = stack
                    .ofType("azure-native:managedidentity:FederatedIdentityCredential")
                    .find((resource) => resource.input("subject") === "system:serviceaccount:nginx-ingress:nginx-ingress");
                assert.ok(credential, "no federated credential for the ingress ServiceAccount");
                assert.ok(reaches(stack, release, credential), "the release can start before Entra trusts its ServiceAccount");
            });
        }
    });

    describe("finding 6: the mesh lets Azure ML's own traffic through", () => {
        /** The identities every AuthorizationPolicy on the Server admits, through MeshTLSAuthentications. */
        const admitted = (stack: PlannedStack, server: TestResource) => {
            const namespace = server.input("metadata.namespace");
            const inNamespace = (kind: string) => stack.resources.filter((r) => r.type.endsWith(`:${kind}`) && r.input("metadata.namespace") === namespace);
            return inNamespace("AuthorizationPolicy")
                .filter((policy) => policy.input("spec.targetRef.kind") === "Server" && policy.input("spec.targetRef.name") === server.input("metadata.name"))
                .flatMap((policy) =>
                    (policy.input("spec.requiredAuthenticationRefs") as { kind: string; name: string }[]).flatMap((ref) => {
                        const authn = inNamespace(ref.kind).find((candidate) => candidate.input("metadata.name") === ref.name);
                        assert.ok(authn, `missing ${ref.kind} ${ref.name}`);
                        return (authn.input("spec.identityRefs") as { name: string; namespace: string }[]).map((id) => `${id.namespace}/${id.name}`);
                    }),
                );
        };

        for (const env of ENVIRONMENTS) {
            it(`${env}: the router reaches every model pod on the inference server port, and only the router does`, async () => {
                const stack = await stackFor(env);
                const config = configOf(env);
                assert.equal(namespaceAnnotations(stack, config.ml.kubernetesNamespace)["config.linkerd.io/default-inbound-policy"], "deny");
                const servers = stack
                    .ofType("kubernetes:policy.linkerd.io/v1beta3:Server")
                    .filter((server) => server.input("metadata.namespace") === config.ml.kubernetesNamespace);
                const scoring = servers.find((server) => server.input("spec.port") === 5001);
                assert.ok(scoring, `no Server for the model pods' port 5001 in ${config.ml.kubernetesNamespace}`);
                assert.deepEqual(scoring.input("spec.podSelector"), { matchLabels: {} }, "every pod Azure ML runs there");
                assert.deepEqual(admitted(stack, scoring), ["azureml/azureml-fe-v2"], "the router's ServiceAccount, and no one else");
            });

            it(`${env}: the extension's pods may reach each other over mTLS; its router's HTTPS port admits only the token swap (issue 11)`, async () => {
                const stack = await stackFor(env);
                assert.equal(namespaceAnnotations(stack, "azureml")["config.linkerd.io/default-inbound-policy"], "all-authenticated");
                const routerServer = stack
                    .ofType("kubernetes:policy.linkerd.io/v1beta3:Server")
                    .find((server) => server.input("metadata.namespace") === "azureml" && (server.input("spec.podSelector.matchLabels") as Record<string, string>).azuremlappname === "azureml-fe");
                assert.ok(routerServer, "no Server on the router");
                assert.equal(routerServer.input("spec.accessPolicy"), "deny");
                assert.deepEqual(admitted(stack, routerServer), ["aml-token-swap/aml-token-swap"]);
                // Every other meshed namespace keeps the stack's policy.
                for (const ns of stack.ofType("kubernetes:core/v1:Namespace")) {
                    const name = String(ns.input("metadata.name"));
                    const policy = (ns.input("metadata.annotations") as Record<string, string> | undefined)?.["config.linkerd.io/default-inbound-policy"];
                    if (policy === undefined || name === "azureml") continue;
                    assert.equal(policy, configOf(env).mesh.defaultInboundPolicy, name);
                }
            });
        }
    });

    describe("finding 6: the Azure ML extension's admission webhooks, as listed in the stack", () => {
        // Example entries: the extension documents no webhook pods or ports, so the platform team
        // reads them from the live cluster (README: Azure ML extension webhooks).
        const webhooks = [
            { name: "identity", podSelector: { app: "amlarc-identity-webhook" }, port: 9443 },
            { name: "volcano", podSelector: { app: "volcano-admission" }, port: "admission" },
        ];
        const withWebhooks = (env: Env, list: unknown = webhooks) =>
            editConfig(shippedStackConfig(env), "amlmesh:ml", (ml) => ({ ...(ml as object), extensionWebhooks: list }));

        for (const env of ENVIRONMENTS) {
            it(`${env}: each listed webhook port admits the API server (any address, as Linkerd's own webhooks), before the extension installs; nothing else changes`, async () => {
                const before = meshGrants(await stackFor(env));
                const stack = await runStack(env, withWebhooks(env));
                const after = meshGrants(stack);
                const beforeKeys = new Set(before.map(grantKey));
                const added = after.filter((grant) => !beforeKeys.has(grantKey(grant)));
                assert.deepEqual(
                    before.filter((grant) => !new Set(after.map(grantKey)).has(grantKey(grant))),
                    [],
                    "a grant was lost",
                );
                assert.deepEqual(
                    added.map((grant) => ({ namespace: grant.namespace, podSelector: grant.podSelector, port: grant.port, paths: grant.paths, clients: grant.clients })),
                    webhooks.map((webhook) => ({ namespace: "azureml", podSelector: { matchLabels: webhook.podSelector }, port: webhook.port, paths: [], clients: ["net:0.0.0.0/0", "net:::/0"] })),
                );
                const extension = stack.one("azure-native:kubernetesconfiguration:Extension");
                for (const grant of added) {
                    const server = stack
                        .ofType("kubernetes:policy.linkerd.io/v1beta3:Server")
                        .find((candidate) => candidate.input("metadata.namespace") === "azureml" && candidate.input("metadata.name") === grant.server);
                    assert.ok(server);
                    assert.equal(server.input("spec.proxyProtocol"), "TLS", "the API server speaks TLS to the webhook itself");
                    assert.equal(server.input("spec.accessPolicy"), "deny");
                    assert.ok(reaches(stack, extension, server), `the extension can install before ${grant.server} admits the API server`);
                }
                assert.equal(namespaceAnnotations(stack, "azureml")["config.linkerd.io/default-inbound-policy"], "all-authenticated", "the namespace default is not weakened");
                const report = await runPolicies(stack.evaluation.resources, { environment: env });
                assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
                assertCustomResourcesValid(stack.evaluation.resources, 1);
            });
        }

        it("the shipped stacks list none (nothing is opened on a guess)", async () => {
            for (const env of ENVIRONMENTS) {
                assert.deepEqual(configOf(env).ml.extensionWebhooks, []);
                assert.deepEqual(meshGrants(await stackFor(env)).filter((grant) => grant.clients.includes("net:0.0.0.0/0")), []);
            }
        });

        it("refuses a webhook without a pod selector, two entries for the same pods and port, and the proxy's own ports", () => {
            assert.throws(() => parseStackConfig(withWebhooks("dev", [{ name: "any", podSelector: {}, port: 9443 }])), /ml\.extensionWebhooks\[0\]\.podSelector/);
            assert.throws(
                () => parseStackConfig(withWebhooks("dev", [webhooks[0], { ...webhooks[0], name: "again" }])),
                /ml\.extensionWebhooks\[1\]\.port.*same pods and port/,
            );
            assert.throws(() => parseStackConfig(withWebhooks("dev", [webhooks[0], { ...webhooks[1], name: "identity" }])), /used twice/);
            assert.throws(() => parseStackConfig(withWebhooks("dev", [{ ...webhooks[0], port: 4191 }])), /port of the Linkerd proxy/);
        });
    });

    describe("finding 7: Linkerd's webhooks keep valid certificates without a Helm upgrade", () => {
        // Secret names and DNS names the chart mounts and calls (linkerd2@edge-26.6.3,
        // charts/linkerd-control-plane/templates/proxy-injector-rbac.yaml and destination-rbac.yaml).
        const WEBHOOKS = [
            { values: "proxyInjector", secret: "linkerd-proxy-injector-k8s-tls", host: "linkerd-proxy-injector.linkerd.svc" },
            { values: "profileValidator", secret: "linkerd-sp-validator-k8s-tls", host: "linkerd-sp-validator.linkerd.svc" },
            { values: "policyValidator", secret: "linkerd-policy-validator-k8s-tls", host: "linkerd-policy-validator.linkerd.svc" },
        ];
        for (const env of ENVIRONMENTS) {
            it(`${env}: every webhook serves a Pulumi-issued, renewable certificate from a CA the chart is told about`, async () => {
                const stack = await stackFor(env);
                const controlPlane = release(stack, "linkerd-control-plane");
                const caBundles = new Set<string>();
                for (const webhook of WEBHOOKS) {
                    const values = controlPlane.input(["values", webhook.values]) as { externalSecret?: boolean; caBundle?: string };
                    assert.equal(values.externalSecret, true, `${webhook.values}: the chart still generates a 365-day certificate`);
                    assert.ok(values.caBundle, `${webhook.values}: no caBundle`);
                    caBundles.add(values.caBundle);

                    const secret = stack
                        .ofType("kubernetes:core/v1:Secret")
                        .find((resource) => resource.input("metadata.name") === webhook.secret && resource.input("metadata.namespace") === "linkerd");
                    assert.ok(secret, `no Secret ${webhook.secret}`);
                    assert.equal(secret.input("type"), "kubernetes.io/tls");
                    assert.ok(secret.isSecret(["stringData", "tls.key"]));
                    assert.ok(reaches(stack, controlPlane, secret), `the control plane can start before ${webhook.secret}`);

                    // The Secret's certificate is a leaf for the webhook's Service, signed by the caBundle's CA, renewed early.
                    const leaf = stack
                        .ofType("tls:index/locallySignedCert:LocallySignedCert")
                        .find((cert) => secret.inputSources("stringData").includes(cert.urn));
                    assert.ok(leaf, `${webhook.secret} does not come from a locally signed certificate`);
                    assert.equal(leaf.input("caCertPem"), values.caBundle);
                    const request = stack.byUrnOf(leaf.inputSources("certRequestPem")[0])!;
                    assert.deepEqual(request.input("dnsNames"), [webhook.host]);
                    const validity = Number(leaf.input("validityPeriodHours"));
                    const early = Number(leaf.input("earlyRenewalHours"));
                    assert.ok(early >= 60 * 24, "a renewal window shorter than two monthly runs");
                    assert.ok(early < validity);
                }
                assert.equal(caBundles.size, 1, "one CA for the three webhooks");
                const annotations = controlPlane.input("values.destinationController.podAnnotations") as Record<string, string>;
                assert.match(annotations["mesh.amlmesh.io/webhook-certificates-sha256"], /^[0-9a-f]{64}$/);
            });
        }
    });

    describe("finding 9: per-client rate limits are per client", () => {
        for (const env of ENVIRONMENTS) {
            it(`${env}: every rate-limit policy divides its rate over the controller replicas`, async () => {
                const policies = (await stackFor(env))
                    .ofType("kubernetes:k8s.nginx.org/v1:Policy")
                    .filter((policy) => policy.input("spec.rateLimit") !== undefined);
                assert.ok(policies.length > 0);
                for (const policy of policies) assert.equal(policy.input("spec.rateLimit.scale"), true, policy.name);
            });
        }

        it("behind a gateway, NGINX takes the client address from the header only on connections from the gateway", async () => {
            const gateway = "10.30.40.0/24";
            const raw = editConfig(shippedStackConfig("prod"), "amlmesh:edge", (edge) => ({ ...(edge as object), clientAddress: { trustedProxies: [gateway] } }));
            const entries = release(await runStack("prod", raw), "nginx-ingress").input("values.controller.config.entries") as Record<string, string>;
            assert.equal(entries["real-ip-header"], "X-Forwarded-For");
            assert.equal(entries["set-real-ip-from"], gateway);
            assert.equal(entries["real-ip-recursive"], "True");
        });

        it("without a named gateway, no header is believed (the connection's source is the client)", async () => {
            const entries = release(await stackFor("prod"), "nginx-ingress").input("values.controller.config.entries") as Record<string, string>;
            for (const key of ["real-ip-header", "set-real-ip-from", "real-ip-recursive"]) assert.equal(entries[key], undefined, key);
        });
    });

    describe("finding 10: a chart bump upgrades the controller's CRDs", () => {
        // That the files are the upstream ones, byte for byte, is test/support/upstream.test.ts's job.
        for (const env of ENVIRONMENTS) {
            it(`${env}: the program applies the pinned CRDs, the release skips the chart's, and every NGINX object waits for its CRD`, async () => {
                const stack = await stackFor(env);
                const controller = release(stack, "nginx-ingress");
                assert.equal(controller.input("skipCrds"), true);
                const expected = new Map(readIngressCrds().map((crd) => [crd.metadata.name, crd]));
                const applied = stack.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition").filter((crd) => String(crd.input("metadata.name")).endsWith(".k8s.nginx.org"));
                assert.deepEqual(applied.map((crd) => crd.input("metadata.name")).sort(), [...expected.keys()].sort());
                for (const crd of applied) {
                    const file = expected.get(String(crd.input("metadata.name")))!;
                    assert.deepEqual(crd.input("spec"), file.spec, `${file.metadata.name} is not the pinned schema`);
                    assert.ok(reaches(stack, controller, crd), `the controller can start before ${file.metadata.name}`);
                }
                const objects = stack.resources.filter((resource) => resource.type.startsWith("kubernetes:k8s.nginx.org/"));
                assert.ok(objects.length > 0);
                for (const object of objects) {
                    const [, version, kind] = /^kubernetes:k8s\.nginx\.org\/([^:]+):(.+)$/.exec(object.type)!;
                    const crd = applied.find((candidate) => candidate.input("spec.names.kind") === kind);
                    assert.ok(crd, `no CRD for ${kind}`);
                    const served = (crd.input("spec.versions") as { name: string; served: boolean }[]).find((entry) => entry.name === version);
                    assert.ok(served?.served, `${kind} ${version} is not served by the pinned CRD`);
                    assert.ok(reaches(stack, object, crd), `${object.name} can be created before the ${kind} CRD`);
                }
            });
        }
    });

    describe("finding 11: Azure ML's identities and network", () => {
        for (const env of ENVIRONMENTS) {
            it(`${env}: the training cluster's identity writes blobs to the workspace storage account`, async () => {
                const stack = await stackFor(env);
                const account = stack.one("azure-native:storage:StorageAccount");
                const grants = roleAssignments(stack).filter((a) => / for ml-compute /.test(a.description) && a.resource.inputSources("scope").includes(account.urn));
                assert.ok(
                    grants.some((a) => a.role === "Storage Blob Data Contributor" && !a.scope.includes("/blobServices/")),
                    `ml-compute has ${grants.map((a) => `${a.role} @ ${a.scope}`).join(", ") || "nothing"} on the account`,
                );
            });

            it(`${env}: whoever may run experiments also gets Storage File Data Privileged Contributor on the account`, async () => {
                const stack = await stackFor(env);
                const config = configOf(env);
                const account = stack.one("azure-native:storage:StorageAccount");
                const runners = config.access.callers.filter((caller) => caller.roles.includes("Experiment.Run"));
                assert.ok(runners.length > 0, "the shipped stacks have experiment runners");
                for (const caller of runners) {
                    const roles = roleAssignments(stack)
                        .filter((a) => a.description.includes(` for caller-${caller.name} `) && a.resource.inputSources("scope").includes(account.urn))
                        .map((a) => a.role);
                    assert.ok(roles.includes("Storage Blob Data Contributor"), `${caller.name}: ${roles.join(", ")}`);
                    assert.ok(roles.includes("Storage File Data Privileged Contributor"), `${caller.name}: ${roles.join(", ")}`);
                }
            });

            it(`${env}: the workspace identity can read each private endpoint of its storage account, and nothing more with Reader`, async () => {
                const stack = await stackFor(env);
                const account = stack.one("azure-native:storage:StorageAccount");
                const storageEndpoints = stack
                    .ofType("azure-native:network:PrivateEndpoint")
                    .filter((endpoint) => endpoint.inputSources("privateLinkServiceConnections").includes(account.urn));
                assert.deepEqual(storageEndpoints.map((endpoint) => (endpoint.input("privateLinkServiceConnections") as { groupIds: string[] }[])[0].groupIds[0]).sort(), ["blob", "file"]);
                const readers = roleAssignments(stack).filter((a) => a.role === "Reader");
                assert.equal(readers.length, storageEndpoints.length);
                for (const endpoint of storageEndpoints) {
                    const reader = readers.find((a) => a.resource.inputSources("scope").includes(endpoint.urn));
                    assert.ok(reader, `no Reader on ${endpoint.name}`);
                    assert.match(reader.description, / for ml-workspace /);
                }
            });

            it(`${env}: environment images are built on the compute cluster (the registry is never open to ACR Tasks)`, async () => {
                const stack = await stackFor(env);
                const workspace = stack.one("azure-native:machinelearningservices:Workspace");
                const cluster = stack.one("azure-native:machinelearningservices:Compute", "platform-compute-cluster");
                assert.equal(workspace.input("imageBuildCompute"), cluster.input("computeName"));
                const registry = stack.one("azure-native:containerregistry:Registry");
                assert.notEqual(registry.input("networkRuleSet.defaultAction") ?? "Deny", "Allow", "an open registry would not need a build compute");
            });

            it(`${env}: with approved-only outbound, the configured package feeds are FQDN rules of the managed network`, async () => {
                const stack = await stackFor(env);
                const config = configOf(env);
                const network = stack.one("azure-native:machinelearningservices:Workspace").input("managedNetwork") as {
                    isolationMode: string;
                    firewallSku?: string;
                    outboundRules?: Record<string, { type: string; destination: string; category: string }>;
                };
                assert.equal(network.isolationMode, config.ml.isolationMode);
                const destinations = Object.values(network.outboundRules ?? {}).map((rule) => {
                    assert.equal(rule.type, "FQDN");
                    return rule.destination;
                });
                assert.deepEqual(destinations.sort(), [...config.ml.approvedOutboundFqdns].sort());
                if (config.ml.isolationMode === "AllowOnlyApprovedOutbound") {
                    assert.ok(destinations.includes("pypi.org") && destinations.includes("files.pythonhosted.org"), "environment builds cannot reach PyPI");
                    assert.equal(network.firewallSku, config.ml.firewallSku);
                }
            });
        }
    });

    describe("finding 12: lifecycle", () => {
        for (const env of ENVIRONMENTS) {
            it(`${env}: the Key Vault name carries a random suffix kept in state, so a recreated stack does not meet its soft-deleted vault`, async () => {
                const stack = await stackFor(env);
                const vault = stack.one("azure-native:keyvault:Vault");
                const sources = vault.inputSources("vaultName").map((urn) => stack.byUrnOf(urn)?.type);
                assert.deepEqual(sources, ["random:index/randomString:RandomString"]);
                assert.ok(String(vault.input("vaultName")).length <= 24);
                assert.equal(vault.input("properties.enablePurgeProtection"), true, "the suffix exists because purge protection keeps the old name");
            });
        }

        it("on the stable channel the cluster ignores the configured version after creation; on patch it applies it", async () => {
            for (const [channel, ignored] of [["stable", true], ["patch", false]] as const) {
                const raw = editConfig(shippedStackConfig("dev"), "amlmesh:cluster", (cluster) => ({ ...(cluster as object), upgradeChannel: channel }));
                const cluster = (await runStack("dev", raw)).one("azure-native:containerservice:ManagedCluster");
                assert.equal(cluster.input("autoUpgradeProfile.upgradeChannel"), channel);
                assert.equal((cluster.captured.options.ignoreChanges ?? []).includes("kubernetesVersion"), ignored, channel);
            }
        });

        it("dev, on the rapid channel, does not send its configured version on updates", async () => {
            const cluster = (await stackFor("dev")).one("azure-native:containerservice:ManagedCluster");
            assert.equal(cluster.input("autoUpgradeProfile.upgradeChannel"), "rapid");
            assert.ok(cluster.captured.options.ignoreChanges?.includes("kubernetesVersion"));
        });
    });

    describe("finding 13: people can get tokens", () => {
        for (const env of ENVIRONMENTS) {
            it(`${env}: the API exposes the configured delegated scopes and pre-authorizes the configured clients for them`, async () => {
                const stack = await stackFor(env);
                const config = configOf(env);
                const app = stack.one("azuread:index/application:Application", "platform-api-app");
                const exposed = app.input("api.oauth2PermissionScopes") as { id: string; value: string; enabled: boolean; type: string }[];
                assert.deepEqual(exposed.map((scope) => scope.value).sort(), Object.keys(config.access.scopes).sort());
                assert.ok(exposed.length > 0, "without a delegated scope Entra issues no user token for the API");
                for (const scope of exposed) assert.equal(scope.enabled, true);

                const grants = stack.ofType("azuread:index/applicationPreAuthorized:ApplicationPreAuthorized");
                assert.deepEqual(grants.map((grant) => grant.input("authorizedClientId")).sort(), config.access.preAuthorizedClients.map((client) => client.clientId).sort());
                for (const grant of grants) {
                    assert.ok(grant.inputSources("applicationId").includes(app.urn), "pre-authorized on another application");
                    const ids = grant.input("permissionIds") as string[];
                    assert.ok(ids.length > 0);
                    for (const id of ids) assert.ok(exposed.some((scope) => scope.id === id), `${id} is not a scope of the API`);
                }
                assert.ok(config.access.callers.some((caller) => caller.kind === "group"), "the shipped stacks have people among the callers");
            });

        }
    });

    describe("finding 13 (routes)", () => {
        it("a route that requires a scope asks the authorizer for one the API exposes", async () => {
            const raw = editConfig(shippedStackConfig("prod"), "amlmesh:routes", (routes) =>
                (routes as Record<string, unknown>[]).map((route, i) => (i === 0 ? { ...route, scopes: ["access_as_user"] } : route)),
            );
            const stack = await runStack("prod", raw);
            const exposed = new Set(
                (stack.one("azuread:index/application:Application", "platform-api-app").input("api.oauth2PermissionScopes") as { value: string }[]).map((scope) => scope.value),
            );
            const asked = stack
                .ofType("kubernetes:k8s.nginx.org/v1:Policy")
                .flatMap((policy) => new URL(String(policy.input("spec.externalAuth.authURI") ?? "/"), "http://authorizer").searchParams.get("scopes")?.split(",") ?? []);
            assert.deepEqual(asked, ["access_as_user"]);
            for (const scope of asked) assert.ok(exposed.has(scope), `${scope} is required but no token can carry it`);
        });
    });

    describe("finding 14: smaller gaps", () => {
        for (const env of ENVIRONMENTS) {
            it(`${env}: the Linkerd policy controller has CPU and memory requests`, async () => {
                const resources = release(await stackFor(env), "linkerd-control-plane").input("values.policyController.resources") as
                    | { cpu?: { request?: string }; memory?: { request?: string; limit?: string } }
                    | undefined;
                assert.ok(resources?.cpu?.request, "no CPU request");
                assert.ok(resources?.memory?.request, "no memory request");
                assert.ok(resources?.memory?.limit, "no memory limit");
            });

            it(`${env}: kubelet probes are admitted from the node subnet and the pod CIDR, not from anywhere`, async () => {
                const stack = await stackFor(env);
                const config = configOf(env);
                const expected = [config.network.subnets.aksNodes, config.network.podCidr].sort();
                const values = release(stack, "linkerd-control-plane").input("values.policyController.probeNetworks") as string[];
                assert.deepEqual([...values].sort(), expected);
                const probeAuthentications = stack
                    .ofType("kubernetes:policy.linkerd.io/v1alpha1:NetworkAuthentication")
                    .filter((resource) => String(resource.input("metadata.name")).endsWith("-probes"));
                assert.ok(probeAuthentications.length > 0, "no probe NetworkAuthentication (the authorizer has one)");
                for (const authn of probeAuthentications) {
                    const cidrs = (authn.input("spec.networks") as { cidr: string }[]).map((network) => network.cidr).sort();
                    assert.deepEqual(cidrs, expected, `${authn.name} admits ${cidrs.join(", ")}`);
                }
            });

            it(`${env}: a voluntary disruption takes at most one ingress controller pod`, async () => {
                const controller = release(await stackFor(env), "nginx-ingress").input("values.controller") as {
                    replicaCount: number;
                    podDisruptionBudget?: { enabled?: boolean; minAvailable?: number; maxUnavailable?: number };
                };
                const pdb = controller.podDisruptionBudget;
                if (controller.replicaCount < 2) {
                    assert.ok(!pdb?.enabled, "a PDB on a single replica blocks node drains");
                    return;
                }
                assert.ok(pdb?.enabled, "no PodDisruptionBudget");
                const allowed = pdb.maxUnavailable ?? controller.replicaCount - (pdb.minAvailable ?? 0);
                assert.equal(allowed, 1, `the PDB lets ${allowed} of ${controller.replicaCount} pods go at once`);
            });
        }
    });
    describe("finding 14: metrics ports under deny, for one named scraper", () => {
        const scraper = { namespace: "monitoring", serviceAccount: "prometheus" };
        const scraperId = `${scraper.namespace}/${scraper.serviceAccount}`;
        const withScraper = new Map<Env, Promise<PlannedStack>>();
        /** The shipped stack with `monitoring.scraper` set, evaluated once per environment. */
        const scrapedStack = (env: Env): Promise<PlannedStack> => {
            let plan = withScraper.get(env);
            if (!plan) {
                plan = runStack(env, editConfig(shippedStackConfig(env), "amlmesh:monitoring", (monitoring) => ({ ...((monitoring as object | undefined) ?? {}), scraper })));
                withScraper.set(env, plan);
            }
            return plan;
        };
        /** Namespaces the program meshes (MeshedNamespace sets the default inbound policy). */
        const meshedNamespaces = (stack: PlannedStack): string[] =>
            [...stack.ofType("kubernetes:core/v1:Namespace"), ...stack.ofType("kubernetes:core/v1:NamespacePatch")]
                .filter((ns) => (ns.input("metadata.annotations") as Record<string, string> | undefined)?.["config.linkerd.io/default-inbound-policy"] !== undefined)
                .map((ns) => String(ns.input("metadata.name")))
                .sort();
        const isMetricsPort = (grant: MeshGrant) => grant.port === "linkerd-admin" || grant.port === 4191 || grant.port === 9113;

        for (const env of ENVIRONMENTS) {
            it(`${env}: without a scraper (the shipped stacks) no metrics port is open and no one may GET /metrics`, async () => {
                const stack = await stackFor(env);
                assert.equal(configOf(env).monitoring.scraper, undefined);
                const grants = meshGrants(stack);
                assert.deepEqual(grants.filter(isMetricsPort), []);
                assert.deepEqual(grants.filter((grant) => grant.paths.some((path) => path.includes("/metrics"))), []);
            });

            it(`${env}: the scraper may GET /metrics of every meshed proxy, NGINX's exporter, the authorizer and the token swap; nothing else gains or loses access`, async () => {
                const before = meshGrants(await stackFor(env));
                const stack = await scrapedStack(env);
                const after = meshGrants(stack);
                const config = configOf(env);
                const probes = [config.network.subnets.aksNodes, config.network.podCidr].map((cidr) => `net:${cidr}`).sort();
                const metrics = ["* /metrics (Exact)"];
                // Server names are the program's; what they select and admit is the claim.
                const serverOn = (namespace: string, port: unknown) => {
                    const servers = stack.ofType("kubernetes:policy.linkerd.io/v1beta3:Server").filter((s) => s.input("metadata.namespace") === namespace && s.input("spec.port") === port);
                    assert.equal(servers.length, 1, `${servers.length} Servers on ${namespace}:${String(port)}`);
                    return { server: String(servers[0].input("metadata.name")), podSelector: servers[0].input("spec.podSelector") };
                };
                const authorizerGrant = before.find((grant) => grant.namespace === CLUSTER_NAMES.authorizerNamespace && grant.paths.includes("* /authorize (Exact)"));
                assert.ok(authorizerGrant, "no authorizer grant to extend");
                const namespaces = meshedNamespaces(stack);
                assert.ok(namespaces.includes("azureml") && namespaces.includes(config.ml.kubernetesNamespace) && namespaces.includes("nginx-ingress"), namespaces.join(", "));
                const expected: MeshGrant[] = [
                    ...namespaces.flatMap((namespace) => {
                        const admin = serverOn(namespace, "linkerd-admin");
                        assert.deepEqual(admin.podSelector, { matchLabels: {} }, "every injected pod of the namespace");
                        return [
                            { namespace, ...admin, port: "linkerd-admin", paths: metrics, clients: [scraperId] },
                            { namespace, ...admin, port: "linkerd-admin", paths: ["GET /live (Exact)", "GET /ready (Exact)"], clients: probes },
                        ];
                    }),
                    { namespace: "nginx-ingress", ...serverOn("nginx-ingress", 9113), port: 9113, paths: metrics, clients: [scraperId] },
                    { ...authorizerGrant, paths: metrics, clients: [scraperId] },
                    // The swap's metrics port: its inference port admits the ingress to every path.
                    { namespace: CLUSTER_NAMES.swapNamespace, ...serverOn(CLUSTER_NAMES.swapNamespace, "metrics"), port: "metrics", paths: metrics, clients: [scraperId] },
                ];
                assert.deepEqual(
                    (serverOn("nginx-ingress", 9113).podSelector as { matchLabels: Record<string, string> }).matchLabels["app.kubernetes.io/instance"],
                    release(stack, "nginx-ingress").input("name"),
                    "the exporter Server selects the controller's pods",
                );
                const beforeKeys = new Set(before.map(grantKey));
                const afterKeys = new Set(after.map(grantKey));
                assert.deepEqual([...beforeKeys].filter((key) => !afterKeys.has(key)), [], "a grant was lost");
                assert.deepEqual([...afterKeys].filter((key) => !beforeKeys.has(key)).sort(), expected.map(grantKey).sort());
                // The scraper is admitted nowhere else, and only on /metrics.
                for (const grant of after.filter((g) => g.clients.includes(scraperId))) {
                    assert.deepEqual(grant.clients, [scraperId]);
                    assert.deepEqual(grant.paths, metrics);
                }
            });

            it(`${env}: the policy pack stays clean with the scraper on (no mandatory violation), and every object fits its CRD`, async () => {
                const stack = await scrapedStack(env);
                const report = await runPolicies(stack.evaluation.resources, { environment: env });
                assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
                assertCustomResourcesValid(stack.evaluation.resources, 1);
            });
        }

        it("a scraper with a bad name fails before any resource is declared, naming the key", () => {
            const raw = editConfig(shippedStackConfig("dev"), "amlmesh:monitoring", (monitoring) => ({ ...((monitoring as object | undefined) ?? {}), scraper: { namespace: "Monitoring", serviceAccount: "prometheus" } }));
            assert.throws(() => parseStackConfig(raw), /monitoring\.scraper\.namespace/);
        });
    });
});
