import * as assert from "node:assert/strict";
import { EdgeAuthorizer, type EdgeAuthorizerArgs } from "../../../components/edge/authorizer";
import { runComponents, TEST_TENANT_ID, type PlannedStack } from "../../harness";
import { customResources, namespaceHandle, testProvider } from "../../support/cluster-fixtures";
import { assertCustomResourcesValid } from "../../support/crd-schemas";

const INGRESS = { namespace: "nginx-ingress", name: "nginx-ingress" };
const IMAGE = "craml.azurecr.io/edge-authorizer:0.1.0";

function args(overrides: Partial<EdgeAuthorizerArgs> = {}): EdgeAuthorizerArgs {
    return {
        namespace: namespaceHandle("edge-authorizer"),
        image: IMAGE,
        replicas: 3,
        highAvailability: true,
        tenantId: TEST_TENANT_ID,
        audiences: ["api://amlmesh-prod", "6e0f6c1d-3c1a-4a8e-9a57-0b1f1f1c2d3e"],
        ingress: INGRESS,
        probeNetworks: ["0.0.0.0/0", "::/0"],
        ...overrides,
    };
}

const podSpec = (stack: PlannedStack) => stack.one("kubernetes:apps/v1:Deployment").input("spec.template.spec") as Record<string, any>;
const container = (stack: PlannedStack) => podSpec(stack).containers[0] as Record<string, any>;
const env = (stack: PlannedStack) => Object.fromEntries((container(stack).env as { name: string; value: string }[]).map((e) => [e.name, e.value]));

describe("EdgeAuthorizer", () => {
    let prod: PlannedStack;
    let dev: PlannedStack;
    let authorizer: EdgeAuthorizer;
    before(async () => {
        prod = await runComponents(() => {
            authorizer = new EdgeAuthorizer("edge-authorizer", args(), { provider: testProvider() });
        });
        dev = await runComponents(() => new EdgeAuthorizer("edge-authorizer", args({ replicas: 1, highAvailability: false }), { provider: testProvider() }));
    });

    it("is configured from the API app: tenant, v2 issuer, both audiences", () => {
        const e = env(prod);
        assert.equal(e.AUTHZ_TENANT_ID, TEST_TENANT_ID);
        assert.equal(e.AUTHZ_ISSUER, `https://login.microsoftonline.com/${TEST_TENANT_ID}/v2.0`);
        assert.equal(e.AUTHZ_AUDIENCES, "api://amlmesh-prod,6e0f6c1d-3c1a-4a8e-9a57-0b1f1f1c2d3e");
        assert.equal(e.AUTHZ_PORT, "8080");
        assert.equal(container(prod).image, IMAGE);
    });

    it("runs as a hardened pod with requests, limits and probes", () => {
        const spec = podSpec(prod);
        assert.equal(spec.securityContext.runAsNonRoot, true);
        assert.equal(spec.securityContext.seccompProfile.type, "RuntimeDefault");
        assert.equal(spec.automountServiceAccountToken, false);
        const c = container(prod);
        assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.equal(c.securityContext.runAsNonRoot, true);
        assert.equal(c.securityContext.seccompProfile.type, "RuntimeDefault");
        assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.cpu && c.resources.limits.memory);
        assert.equal(c.livenessProbe.httpGet.path, "/healthz");
        assert.equal(c.readinessProbe.httpGet.path, "/readyz");
    });

    it("is meshed and needs no Azure identity", () => {
        const template = prod.one("kubernetes:apps/v1:Deployment").input("spec.template.metadata") as Record<string, any>;
        assert.equal(template.annotations["linkerd.io/inject"], "enabled");
        assert.equal(template.labels["azure.workload.identity/use"], undefined);
        const sa = prod.one("kubernetes:core/v1:ServiceAccount");
        assert.equal(sa.input(["metadata", "annotations", "azure.workload.identity/client-id"]), undefined);
        assert.equal(sa.input("automountServiceAccountToken"), false);
        assert.equal(podSpec(prod).serviceAccountName, sa.input("metadata.name"));
    });

    it("runs the configured replicas, spread over nodes and zones outside dev, with a PDB", () => {
        assert.equal(prod.one("kubernetes:apps/v1:Deployment").input("spec.replicas"), 3);
        const keys = (podSpec(prod).topologySpreadConstraints as { topologyKey: string }[]).map((t) => t.topologyKey);
        assert.deepEqual(keys.sort(), ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
        assert.equal(podSpec(dev).topologySpreadConstraints, undefined);
        const pdb = prod.one("kubernetes:policy/v1:PodDisruptionBudget");
        assert.deepEqual(pdb.input("spec.selector"), prod.one("kubernetes:apps/v1:Deployment").input("spec.selector"));
        assert.equal(pdb.input("spec.maxUnavailable"), 1);
    });

    it("is a ClusterIP Service reachable from the ingress identity only, on /authorize only", () => {
        const service = prod.one("kubernetes:core/v1:Service");
        assert.equal(service.input("spec.type"), "ClusterIP");
        assert.deepEqual(authorizer.service, { namespace: "edge-authorizer", name: "edge-authorizer", port: 8080 });
        const [authn] = customResources(prod, "policy.linkerd.io/v1alpha1", "MeshTLSAuthentication");
        assert.deepEqual(authn.input("spec.identityRefs"), [{ kind: "ServiceAccount", ...INGRESS }]);
        const [server] = customResources(prod, "policy.linkerd.io/v1beta3", "Server");
        assert.deepEqual(server.input("spec.podSelector.matchLabels"), prod.one("kubernetes:apps/v1:Deployment").input("spec.selector.matchLabels"));
        const routes = customResources(prod, "policy.linkerd.io/v1beta3", "HTTPRoute");
        const paths = routes.flatMap((r) => (r.input("spec.rules") as { matches: { path: { value: string } }[] }[]).flatMap((rule) => rule.matches.map((m) => m.path.value)));
        assert.deepEqual(paths.sort(), ["/authorize", "/healthz", "/readyz"]);
        const probePaths = [container(prod).livenessProbe.httpGet.path, container(prod).readinessProbe.httpGet.path];
        for (const path of probePaths) assert.ok(paths.includes(path), `probe ${path} is authorized`);
    });

    it("refuses HA with a single replica and an empty audience list", async () => {
        await assert.rejects(runComponents(() => new EdgeAuthorizer("a", args({ replicas: 1 }), { provider: testProvider() })), /at least 2 replicas/);
        await assert.rejects(runComponents(() => new EdgeAuthorizer("a", args({ audiences: [] }), { provider: testProvider() })), /audiences/);
    });

    it("emits mesh policy that validates against the upstream CRDs", function () {
        assertCustomResourcesValid(prod.evaluation.resources, 1);
    });
});
