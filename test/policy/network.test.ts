import * as assert from "node:assert/strict";
import { assertPasses, assertViolates, check, resource, UNKNOWN, violationsOf } from "./helpers";
import { cluster, registry, storage, T, vault, workspace } from "./fixtures";

describe("policy: network", () => {
    describe("azure-no-public-network-access", () => {
        const policy = "azure-no-public-network-access";

        it("passes private Key Vault, storage, registry and workspace in prod", async () => {
            const resources = [vault(), storage(), registry(), workspace()];
            const report = await check(resources, "prod");
            for (const item of resources) assertPasses(report, policy, item.urn);
        });

        it("flags public (or defaulted) access in staging and prod, even behind a firewall", async () => {
            const publicVault = vault("kv", { publicNetworkAccess: "Enabled" }, { stack: "staging" });
            const defaulted = storage("st", { publicNetworkAccess: undefined }, { stack: "staging" });
            const report = await check([publicVault, defaulted], "staging");
            assertViolates(report, policy, publicVault.urn, /'Enabled'; staging requires 'Disabled'/);
            assertViolates(report, policy, defaulted.urn, /not set \(Azure defaults to Enabled\)/);
        });

        it("dev: allows public access only behind a default-deny firewall; the ML workspace stays reachable", async () => {
            const fenced = vault("kv", { publicNetworkAccess: "Enabled", networkAcls: { defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/24" }] } }, { stack: "dev" });
            const open = storage("st", { publicNetworkAccess: "Enabled", networkRuleSet: { defaultAction: "Allow" } }, { stack: "dev" });
            const openRegistry = registry("acr", { publicNetworkAccess: "Enabled" }, { stack: "dev" });
            const studio = workspace("mlw", { publicNetworkAccess: "Enabled" }, { stack: "dev" });
            const report = await check([fenced, open, openRegistry, studio], "dev");
            assertPasses(report, policy, fenced.urn);
            assertPasses(report, policy, studio.urn);
            const [violation] = assertViolates(report, policy, open.urn, /without a default-deny firewall \(defaultAction: Allow\)/);
            assert.equal(violation.level, "mandatory", "a data store open to the internet must not slip, even in dev");
            assertViolates(report, policy, openRegistry.urn, /defaultAction: not set/);
        });

        it("the same workspace that passes in dev fails in prod", async () => {
            const reachable = workspace("mlw", { publicNetworkAccess: "Enabled" });
            assertViolates(await check([reachable], "prod"), policy, reachable.urn, /prod requires 'Disabled'/);
        });
    });

    describe("aks-api-server-restricted", () => {
        it("passes a private cluster or one fenced by authorized ranges", async () => {
            const privateCluster = cluster("private");
            const fenced = cluster("fenced", { apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/24"] } });
            const report = await check([privateCluster, fenced]);
            assertPasses(report, "aks-api-server-restricted", privateCluster.urn);
            assertPasses(report, "aks-api-server-restricted", fenced.urn);
        });

        it("flags a public API server without ranges, or with 0.0.0.0/0", async () => {
            const open = cluster("open", { apiServerAccessProfile: { enablePrivateCluster: false } });
            const everyone = cluster("everyone", { apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/24", "0.0.0.0/0"] } });
            const report = await check([open, everyone]);
            assertViolates(report, "aks-api-server-restricted", open.urn, /public to the whole internet/);
            assertViolates(report, "aks-api-server-restricted", everyone.urn, /0\.0\.0\.0\/0/);
        });
    });

    describe("aks-network-policy-enabled", () => {
        it("passes cilium/calico/azure and flags none or a missing engine", async () => {
            const calico = cluster("calico", { networkProfile: { networkPlugin: "azure", networkPolicy: "calico" } });
            const none = cluster("none", { networkProfile: { networkPlugin: "azure", networkPolicy: "none" } });
            const missing = cluster("missing", { networkProfile: { networkPlugin: "kubenet" } });
            const report = await check([cluster(), calico, none, missing]);
            assertPasses(report, "aks-network-policy-enabled", cluster().urn);
            assertPasses(report, "aks-network-policy-enabled", calico.urn);
            assertViolates(report, "aks-network-policy-enabled", none.urn, /'none'/);
            assertViolates(report, "aks-network-policy-enabled", missing.urn, /not set/);
        });
    });

    describe("k8s-only-ingress-load-balancer", () => {
        const policy = "k8s-only-ingress-load-balancer";
        const service = (name: string, type: string) =>
            resource(T.service, name, { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "models" }, spec: { type, ports: [{ port: 80 }] } });

        it("lets the NGINX ingress chart have its LoadBalancer and keeps everything else ClusterIP", async () => {
            const edge = resource(T.release, "edge", {
                chart: "oci://ghcr.io/nginx/charts/nginx-ingress",
                version: "2.6.4",
                namespace: "edge",
                values: { controller: { service: { type: "LoadBalancer" } } },
            });
            const internal = service("scorer", "ClusterIP");
            const report = await check([edge, internal]);
            assertPasses(report, policy, edge.urn);
            assertPasses(report, policy, internal.urn);
        });

        it("flags a LoadBalancer Service, another chart asking for one, and the AML inference router as a LoadBalancer", async () => {
            const exposed = service("scorer", "LoadBalancer");
            const grafana = resource(T.release, "grafana", { chart: "grafana", namespace: "monitoring", values: { service: { type: "LoadBalancer" } } });
            const extension = resource(T.extension, "aml", {
                clusterName: "aks",
                clusterResourceName: "managedClusters",
                clusterRp: "Microsoft.ContainerService",
                resourceGroupName: "rg",
                extensionType: "Microsoft.AzureML.Kubernetes",
                configurationSettings: { enableInference: "True", inferenceRouterServiceType: "loadBalancer", allowInsecureConnections: "False" },
            });
            const report = await check([exposed, grafana, extension]);
            assertViolates(report, policy, exposed.urn, /Service models\/scorer is of type LoadBalancer/);
            assertViolates(report, policy, grafana.urn, /values service\.type/);
            assertViolates(report, policy, extension.urn, /inference router/);
        });

        it("honours allowedLoadBalancerServices from the policy config", async () => {
            const exposed = service("scorer", "LoadBalancer");
            const report = await check([exposed], "prod", { all: "mandatory", [policy]: { allowedLoadBalancerServices: ["models/scorer"] } });
            assert.deepEqual(violationsOf(report, policy), []);
        });

        it("reads a Service's namespace as Kubernetes does: empty means default, unknown during preview matches no allowlist entry", async () => {
            const inDefault = resource(T.service, "gateway", { apiVersion: "v1", kind: "Service", metadata: { name: "gateway", namespace: "" }, spec: { type: "LoadBalancer" } });
            const previewed = resource(T.service, "computed", { apiVersion: "v1", kind: "Service", metadata: { name: "computed", namespace: UNKNOWN }, spec: { type: "LoadBalancer" } });
            const report = await check([inDefault, previewed], "prod", { all: "mandatory", [policy]: { allowedLoadBalancerServices: ["default/gateway"] } });
            assertPasses(report, policy, inDefault.urn);
            assertViolates(report, policy, previewed.urn, /Service \?\/computed is of type LoadBalancer/);
        });
    });
});
