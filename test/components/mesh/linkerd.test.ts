import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Linkerd, MESH_INJECTION_LABEL, type LinkerdArgs } from "../../../components/mesh/linkerd";
import { MeshPki } from "../../../components/mesh/pki";
import { GATEWAY_API, LINKERD } from "../../../components/versions";
import { outputValue, runComponents, type PlannedStack, type TestResource } from "../../harness";
import { testProvider } from "../../support/cluster-fixtures";
import { assertNoPlainPrivateKeys, containsPrivateKey } from "../../support/secrets-scan";

const RELEASE = "kubernetes:helm.sh/v3:Release";

async function plan(highAvailability: boolean): Promise<{ stack: PlannedStack; linkerd: Linkerd; pki: MeshPki }> {
    let linkerd: Linkerd | undefined;
    let pki: MeshPki | undefined;
    const stack = await runComponents(() => {
        pki = new MeshPki("mesh-pki", {
            anchorValidityDays: 3650,
            issuerValidityDays: 365,
            issuerRenewBeforeDays: 30,
            keyVault: { name: "kv", resourceGroupName: "rg" },
            protectTrustAnchors: false,
        });
        const args: LinkerdArgs = {
            pki,
            highAvailability,
        };
        linkerd = new Linkerd("linkerd", args, { provider: testProvider() });
    });
    return { stack, linkerd: linkerd!, pki: pki! };
}

const values = (release: TestResource) => release.input("values") as Record<string, any>;

describe("Linkerd", () => {
    let prod: Awaited<ReturnType<typeof plan>>;
    let dev: Awaited<ReturnType<typeof plan>>;
    before(async () => {
        prod = await plan(true);
        dev = await plan(false);
    });

    it("installs the pinned Gateway API CRDs, then linkerd-crds without its bundled Gateway API, then the control plane", () => {
        const { stack } = prod;
        const gateway = stack.one("kubernetes:yaml/v2:ConfigFile");
        assert.equal(gateway.input("file"), GATEWAY_API.manifestUrl);
        assert.match(GATEWAY_API.manifestUrl, new RegExp(`/${GATEWAY_API.version}/${GATEWAY_API.channel}-install\\.yaml$`));
        const crds = stack.one(RELEASE, "linkerd-crds");
        assert.equal(crds.input("chart"), LINKERD.crdsChart);
        assert.equal(crds.input("version"), LINKERD.chartVersion);
        assert.equal(crds.input("repositoryOpts.repo"), LINKERD.repository);
        assert.equal(values(crds).installGatewayAPI, false);
        assert.ok(crds.dependsOn(gateway));
        const controlPlane = stack.one(RELEASE, "linkerd-control-plane");
        assert.equal(controlPlane.input("chart"), LINKERD.controlPlaneChart);
        assert.equal(controlPlane.input("version"), LINKERD.chartVersion);
        assert.ok(controlPlane.dependsOn(crds));
    });

    it("supported Gateway API range: 1.2.1 to 1.5.1", () => {
        const [major, minor, patch] = GATEWAY_API.version.replace(/^v/, "").split(".").map(Number);
        const n = major * 10000 + minor * 100 + patch;
        assert.ok(n >= 10201 && n <= 10501, `${GATEWAY_API.version} is outside what Linkerd 2.20 supports`);
    });

    it("puts the issuer into the kubernetes.io/tls Secret linkerd/linkerd-identity-issuer with ca.crt, as a secret", async () => {
        const { stack, pki } = prod;
        const secret = stack.one("kubernetes:core/v1:Secret", "linkerd-identity-issuer");
        assert.equal(secret.input("metadata.name"), "linkerd-identity-issuer");
        assert.equal(secret.input("metadata.namespace"), "linkerd");
        assert.equal(secret.input("type"), "kubernetes.io/tls");
        assert.ok(secret.isSecret("stringData"));
        assert.equal(secret.input(["stringData", "tls.crt"]), await outputValue(pki.issuerCertPem));
        assert.ok(containsPrivateKey(secret.input(["stringData", "tls.key"])));
        assert.equal(secret.input(["stringData", "ca.crt"]), await outputValue(pki.trustAnchorPem));
        assert.ok(stack.one(RELEASE, "linkerd-control-plane").dependsOn(secret));
    });

    it("publishes only the anchor certificates in the trust-roots ConfigMap and the Helm values", async () => {
        const { stack, pki } = prod;
        const configMap = stack.one("kubernetes:core/v1:ConfigMap");
        assert.equal(configMap.input("metadata.name"), "linkerd-identity-trust-roots");
        const bundle = await outputValue(pki.trustBundlePem);
        assert.equal(configMap.input(["data", "ca-bundle.crt"]), bundle);
        const cp = values(stack.one(RELEASE, "linkerd-control-plane"));
        assert.equal(cp.identityTrustAnchorsPEM, bundle);
        assert.deepEqual(cp.identity, { externalCA: true, issuer: { scheme: "kubernetes.io/tls" } });
        for (const release of stack.ofType(RELEASE)) assert.ok(!containsPrivateKey(release.inputs), `${release.name} values carry a private key`);
        assert.ok(!containsPrivateKey(configMap.inputs));
        assertNoPlainPrivateKeys(stack.evaluation.resources);
    });

    it("runs the control plane in the trust domain the PKI certified its issuer for", () => {
        assert.equal(prod.pki.trustDomain, "cluster.local");
        assert.equal(values(prod.stack.one(RELEASE, "linkerd-control-plane")).identityTrustDomain, prod.pki.trustDomain);
        assert.equal(prod.linkerd.trustDomain, prod.pki.trustDomain);
    });

    it("pins the control plane and proxy image tag with the chart", () => {
        assert.equal(values(prod.stack.one(RELEASE, "linkerd-control-plane")).linkerdVersion, LINKERD.version);
    });

    it("uses values-ha.yaml settings in HA mode only, and sets proxy resources everywhere", () => {
        const ha = values(prod.stack.one(RELEASE, "linkerd-control-plane"));
        assert.equal(ha.controllerReplicas, 3);
        assert.equal(ha.enablePodDisruptionBudget, true);
        assert.equal(ha.enablePodAntiAffinity, true);
        assert.equal(ha.highAvailability, true);
        assert.deepEqual(ha.controller, { podDisruptionBudget: { maxUnavailable: 1 } });
        assert.equal(ha.identityResources.memory.limit, "250Mi");
        const single = values(dev.stack.one(RELEASE, "linkerd-control-plane"));
        assert.equal(single.controllerReplicas, undefined);
        assert.equal(single.enablePodAntiAffinity, undefined);
        for (const v of [ha, single]) {
            assert.ok(v.proxy.resources.cpu.request && v.proxy.resources.memory.request && v.proxy.resources.memory.limit);
        }
    });

    it("injects only into platform-meshed namespaces and fails closed", () => {
        const cp = values(prod.stack.one(RELEASE, "linkerd-control-plane"));
        assert.equal(cp.webhookFailurePolicy, "Fail");
        assert.deepEqual(
            cp.proxyInjector.namespaceSelector.matchExpressions.find((e: { key: string }) => e.key === MESH_INJECTION_LABEL.key),
            { key: MESH_INJECTION_LABEL.key, operator: "In", values: [MESH_INJECTION_LABEL.value] },
        );
        assert.equal(cp.disableHeartBeat, true);
        assert.deepEqual(prod.linkerd.injectionLabels, { [MESH_INJECTION_LABEL.key]: MESH_INJECTION_LABEL.value });
    });

    it("creates the control-plane namespace the way linkerd install does", () => {
        const ns = prod.stack.one("kubernetes:core/v1:Namespace");
        assert.equal(ns.input("metadata.name"), "linkerd");
        assert.equal(ns.input(["metadata", "labels", "config.linkerd.io/admission-webhooks"]), "disabled");
        assert.equal(ns.input(["metadata", "annotations", "linkerd.io/inject"]), "disabled");
    });

    it("uses the explicit provider for every Kubernetes object", () => {
        for (const resource of prod.stack.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            assert.match(resource.captured.provider ?? "", /pulumi:providers:kubernetes::aks::/, `${resource.name} uses a default provider`);
        }
    });

    it("exposes the control plane as what meshed namespaces wait for", () => {
        assert.deepEqual(prod.linkerd.ready, [prod.linkerd.controlPlane]);
        assert.ok(pulumi.Resource.isInstance(prod.linkerd.controlPlane));
    });
});
