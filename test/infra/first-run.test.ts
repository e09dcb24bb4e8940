/**
 * Issue 14, findings 1-5: what a first `pulumi up` on a fresh subscription needs, read from the
 * plan of each shipped stack. Ordering is read from the plan's dependency graph (direct or
 * through inputs, transitively), never from the code; what the run cannot create is a bootstrap
 * input (bootstrap/requirements.ts), which the preflight checks.
 */
import * as assert from "node:assert/strict";
import { scopeWithin, stackRequirements, type StackRequirements } from "../../bootstrap/requirements";
import { parseStackConfig, type StackConfig } from "../../infra/config";
import { CLUSTER_NAMES } from "../../infra/cluster-services";
import { OFFLINE_SUBSCRIPTION_ID } from "../../offline/mocks";
import { runPolicies } from "../../offline/policy-runner";
import { roleAssignments, shippedStackConfig, type PlannedStack, type TestResource } from "../harness";
import { plannedStack, STACKS } from "./azure-stacks";

/** True when `from` waits for `to` through any chain of dependencies in the plan. */
function waitsFor(stack: PlannedStack, from: TestResource, to: TestResource): boolean {
    const seen = new Set<string>();
    const queue = [from];
    while (queue.length > 0) {
        const current = queue.pop()!;
        if (current.dependsOn(to)) return true;
        const next = [...current.captured.dependencies, ...Object.values(current.captured.propertyDependencies).flat()];
        // A resource also waits for what its provider waits for.
        const provider = current.captured.provider;
        if (provider) next.push(provider.slice(0, provider.lastIndexOf("::")));
        for (const urn of next) {
            if (seen.has(urn)) continue;
            seen.add(urn);
            const found = stack.byUrnOf(urn);
            if (found) queue.push(found);
        }
    }
    return false;
}

function assertWaits(stack: PlannedStack, from: TestResource, to: TestResource, why: string): void {
    assert.ok(waitsFor(stack, from, to), `${from.type} ${from.name} does not wait for ${to.type} ${to.name} (${why})`);
}

describe("a first pulumi up on a fresh subscription (issue 14, findings 1-5)", () => {
    for (const name of STACKS) {
        describe(name, () => {
            let stack: PlannedStack;
            let config: StackConfig;
            let needs: StackRequirements;
            before(async () => {
                stack = await plannedStack(name);
                config = parseStackConfig(shippedStackConfig(name));
                needs = stackRequirements(config, OFFLINE_SUBSCRIPTION_ID);
            });
            const ingressRelease = () => stack.where("kubernetes:helm.sh/v3:Release", (r) => r.input("name") === "nginx-ingress")[0];

            it("1. reads the edge certificate from the hub vault, granted and reachable before the controller starts, and never as its default-server secret", () => {
                const spc = stack.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass");
                assert.equal(spc.input("spec.parameters.keyvaultName"), needs.edgeCertificate.vaultName);
                const grant = roleAssignments(stack).find((a) => a.scope === `${needs.edgeCertificate.vaultId}/secrets/${needs.edgeCertificate.name}`);
                assert.ok(grant, "no grant on the edge certificate's secret");
                assert.equal(grant.role, "Key Vault Secrets User");
                assert.match(grant.description, / for .*nginx-ingress/);
                const release = ingressRelease();
                assertWaits(stack, release, grant.resource, "the CSI mount needs the role");
                assertWaits(stack, release, spc, "the mount needs its SecretProviderClass");
                const endpoint = stack.where("azure-native:network:PrivateEndpoint", (e) => e.input("privateLinkServiceConnections[0].privateLinkServiceId") === needs.ids.keyVault);
                assert.equal(endpoint.length, 1, "no private endpoint to the hub vault");
                assertWaits(stack, release, endpoint[0], "the CSI driver reaches the vault through it");
                const controller = (release.inputs.values as { controller: Record<string, unknown> }).controller;
                assert.equal(controller.defaultTLS, undefined, "the controller would exit while the synced Secret does not exist yet");
                const synced = (spc.input("spec.secretObjects") as { secretName: string }[])[0].secretName;
                const hosts = stack.where("kubernetes:k8s.nginx.org/v1:VirtualServer", () => true);
                assert.ok(hosts.length > 0);
                for (const host of hosts) assert.equal(host.input("spec.tls.secret"), synced);
            });

            it("2. runs the authorizer build pinned by digest from the hub registry, after the pull grant and the registry's endpoint", async () => {
                const deployment = stack.where("kubernetes:apps/v1:Deployment", (d) => d.input("metadata.namespace") === CLUSTER_NAMES.authorizerNamespace)[0];
                const image = needs.authorizerImage!;
                assert.equal(deployment.input("spec.template.spec.containers[0].image"), `${image.loginServer}/${image.repository}@${config.edge.authorizer.digest}`);
                const pull = roleAssignments(stack).find((a) => a.role === "AcrPull" && a.scope === needs.ids.registry);
                assert.ok(pull, "the kubelet cannot pull from the hub registry");
                assertWaits(stack, deployment, pull.resource, "pods pull with the kubelet identity");
                const endpoint = stack.where("azure-native:network:PrivateEndpoint", (e) => e.input("privateLinkServiceConnections[0].privateLinkServiceId") === needs.ids.registry);
                assert.equal(endpoint.length, 1, "no private endpoint to the hub registry");
                assertWaits(stack, deployment, endpoint[0], "nodes reach the registry through it");
                const report = await runPolicies(stack.evaluation.resources, { environment: config.environment });
                assert.deepEqual(
                    report.violations.filter((v) => v.policy === "workload-image-digest-pinned").map((v) => v.message),
                    [],
                );
            });

            it("3. creates nothing the deployer's bootstrap roles do not cover: the platform resource group is read, not made", () => {
                assert.equal(stack.ofType("azure-native:resources:ResourceGroup").length, 0);
                const contributorAt = needs.deployerRoles.filter((r) => r.role === "Contributor" || r.role === "Network Contributor").map((r) => r.scope);
                // Role assignments are finding 3's other half (rbac.test.ts); extension resources sit on their target.
                for (const resource of stack.resources.filter((r) => r.type.startsWith("azure-native:") && r.type !== "azure-native:authorization:RoleAssignment")) {
                    const group = resource.input("resourceGroupName");
                    const extendedResource = resource.input("resourceUri");
                    assert.ok(typeof group === "string" || typeof extendedResource === "string", `${resource.name} has no resource group`);
                    const groupId = `/subscriptions/${OFFLINE_SUBSCRIPTION_ID}/resourceGroups/${String(group)}`;
                    const target =
                        typeof group !== "string"
                            ? String(extendedResource)
                            : resource.type === "azure-native:network:VirtualNetworkPeering"
                              ? `${groupId}/providers/Microsoft.Network/virtualNetworks/${String(resource.input("virtualNetworkName"))}`
                              : groupId;
                    assert.ok(
                        contributorAt.some((scope) => scopeWithin(target, scope)),
                        `${resource.type} ${resource.name} in ${String(group)}: the deployer holds no role there`,
                    );
                }
            });

            it("4. gives the runner a network path to the API server: peered hub, API server record in the hub's zone, provider waiting for both", () => {
                const cluster = stack.one("azure-native:containerservice:ManagedCluster");
                const peerings = stack.ofType("azure-native:network:VirtualNetworkPeering");
                assert.deepEqual(
                    peerings.map((p) => String(p.input("remoteVirtualNetwork.id")).split("/").pop()).sort(),
                    [needs.names.bootstrap.hubVnet, String(stack.one("azure-native:network:VirtualNetwork").input("virtualNetworkName"))].sort(),
                );
                const provider = stack.one("pulumi:providers:kubernetes");
                if (config.cluster.apiServer.access === "public") {
                    assert.equal(cluster.input("apiServerAccessProfile.enablePrivateCluster"), false);
                    return;
                }
                assert.equal(cluster.input("apiServerAccessProfile.privateDNSZone"), needs.ids.apiServerDnsZone);
                const zoneGrant = roleAssignments(stack).find((a) => a.role === "Private DNS Zone Contributor");
                assert.ok(zoneGrant && zoneGrant.scope === needs.ids.apiServerDnsZone, "the control plane cannot write the API server record");
                assertWaits(stack, cluster, zoneGrant.resource, "AKS writes the record while creating the cluster");
                for (const peering of peerings) assertWaits(stack, provider, peering, "the runner reaches the API server over the peering");
                const namespace = stack.ofType("kubernetes:core/v1:Namespace")[0];
                assertWaits(stack, namespace, peerings[0], "Kubernetes objects go through the provider");
            });

            it("5. leaves Trusted Access to Azure ML (it binds mlworkload when the compute is attached) and attaches after the extension and namespace", () => {
                assert.equal(stack.ofType("azure-native:containerservice:TrustedAccessRoleBinding").length, 0);
                const compute = stack.where("azure-native:machinelearningservices:Compute", (c) => c.input("properties.computeType") === "Kubernetes")[0];
                assertWaits(stack, compute, stack.one("azure-native:kubernetesconfiguration:Extension"), "the extension runs the workloads");
                const namespace = stack.where("kubernetes:core/v1:Namespace", (n) => n.input("metadata.name") === config.ml.kubernetesNamespace)[0];
                assertWaits(stack, compute, namespace, "the compute's namespace must exist");
            });
        });
    }
});
