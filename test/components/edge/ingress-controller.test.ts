import * as assert from "node:assert/strict";
import * as random from "@pulumi/random";
import { IngressController, type IngressControllerArgs } from "../../../components/edge/ingress-controller";
import { NGINX_INGRESS } from "../../../components/versions";
import { runComponents, TEST_TENANT_ID, type PlannedStack } from "../../harness";
import { namespaceHandle, testProvider } from "../../support/cluster-fixtures";
import { assertCustomResourcesValid } from "../../support/crd-schemas";

const CLIENT_ID = "0c4b3f4e-8b1a-4a0c-9a44-1d2e3f4a5b6c";

function args(overrides: Partial<IngressControllerArgs> = {}): IngressControllerArgs {
    return {
        namespace: namespaceHandle("nginx-ingress"),
        replicas: 3,
        highAvailability: true,
        exposure: "internal",
        serviceAccountName: "nginx-ingress",
        defaultTls: { certificateName: "edge-tls", keyVaultName: "kv-aml-prod", tenantId: TEST_TENANT_ID, clientId: CLIENT_ID },
        ...overrides,
    };
}

const values = (stack: PlannedStack) => stack.one("kubernetes:helm.sh/v3:Release").input("values") as Record<string, any>;

describe("IngressController", () => {
    let prod: PlannedStack;
    let dev: PlannedStack;
    before(async () => {
        prod = await runComponents(() => {
            const grant = new random.RandomId("role-assignment-stand-in", { byteLength: 4 });
            new IngressController("nginx-ingress", args({ identityReady: [grant] }), { provider: testProvider() });
        });
        dev = await runComponents(() => new IngressController("nginx-ingress", args({ replicas: 1, highAvailability: false, exposure: "public" }), { provider: testProvider() }));
    });

    it("installs the pinned F5 NGINX chart and image", () => {
        const release = prod.one("kubernetes:helm.sh/v3:Release");
        assert.equal(release.input("chart"), NGINX_INGRESS.chart);
        assert.equal(release.input("version"), NGINX_INGRESS.chartVersion);
        assert.deepEqual(values(prod).controller.image, { repository: NGINX_INGRESS.image.repository, tag: NGINX_INGRESS.image.tag, pullPolicy: "IfNotPresent" });
        assert.ok(!/ingress-nginx|registry\.k8s\.io/.test(JSON.stringify(release.inputs)), "never the retired community controller");
    });

    it("is meshed like a workload, keeping client addresses on 80/443", () => {
        const pod = values(prod).controller.pod;
        assert.equal(pod.annotations["linkerd.io/inject"], "enabled");
        assert.equal(pod.annotations["config.linkerd.io/skip-inbound-ports"], "80,443");
    });

    it("disables snippets, keeps custom resources, declares its IngressClass as an object", () => {
        const controller = values(prod).controller;
        assert.equal(controller.enableSnippets, false);
        assert.equal(controller.enableCustomResources, true);
        assert.deepEqual(controller.ingressClass, { name: "nginx", create: true, setAsDefaultIngress: false });
        assert.equal(controller.telemetryReporting.enable, false);
    });

    it("writes JSON access logs with request ID, upstream address and timings", () => {
        const entries = values(prod).controller.config.entries;
        assert.equal(entries["log-format-escaping"], "json");
        const format = JSON.parse(entries["log-format"]) as Record<string, string>;
        for (const variable of ["$request_id", "$upstream_addr", "$upstream_response_time", "$request_time", "$status", "$remote_addr"]) {
            assert.ok(Object.values(format).includes(variable), `log format lacks ${variable}`);
        }
        assert.ok(!JSON.stringify(format).includes("$http_authorization"), "tokens never reach the logs");
        assert.ok(Number(entries.keepalive) > 0);
    });

    it("exposes a TLS-only LoadBalancer, internal or public, with externalTrafficPolicy Local", () => {
        const internal = values(prod).controller.service;
        assert.equal(internal.type, "LoadBalancer");
        assert.equal(internal.externalTrafficPolicy, "Local");
        assert.equal(internal.annotations["service.beta.kubernetes.io/azure-load-balancer-internal"], "true");
        assert.equal(internal.httpPort.enable, false);
        const pub = values(dev).controller.service;
        assert.equal(pub.annotations["service.beta.kubernetes.io/azure-load-balancer-internal"], undefined);
        assert.equal(pub.externalTrafficPolicy, "Local");
    });

    it("runs the configured replicas, with PDB, anti-affinity and zone spread only outside dev", () => {
        const ha = values(prod).controller;
        assert.equal(ha.replicaCount, 3);
        assert.deepEqual(ha.podDisruptionBudget, { enabled: true, maxUnavailable: 1 });
        assert.ok(ha.affinity.podAntiAffinity);
        assert.equal(ha.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
        const single = values(dev).controller;
        assert.equal(single.replicaCount, 1);
        assert.equal(single.podDisruptionBudget, undefined);
        assert.equal(single.affinity, undefined);
    });

    it("runs read-only and with resource limits", () => {
        const controller = values(prod).controller;
        assert.equal(controller.readOnlyRootFilesystem, true);
        assert.equal(controller.securityContext, undefined, "the chart's hardened default context (non-root, drop ALL) stays in force");
        assert.ok(controller.resources.limits.cpu && controller.resources.limits.memory);
        assert.ok(controller.initContainerResources.limits.memory);
        assert.equal(controller.podSecurityContext.seccompProfile.type, "RuntimeDefault");
    });

    it("reads its default certificate from Key Vault through the CSI driver with its own workload identity", () => {
        const spc = prod.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass");
        assert.equal(spc.input("metadata.namespace"), "nginx-ingress");
        assert.equal(spc.input("spec.provider"), "azure");
        const parameters = spc.input("spec.parameters") as Record<string, string>;
        assert.equal(parameters.usePodIdentity, "false");
        assert.equal(parameters.clientID, CLIENT_ID);
        assert.equal(parameters.keyvaultName, "kv-aml-prod");
        assert.equal(parameters.tenantId, TEST_TENANT_ID);
        assert.match(parameters.objects, /objectName: edge-tls\n\s+objectType: secret/);
        const [synced] = spc.input("spec.secretObjects") as { secretName: string; type: string; data: { objectName: string; key: string }[] }[];
        assert.equal(synced.type, "kubernetes.io/tls");
        assert.deepEqual(synced.data.map((d) => d.key).sort(), ["tls.crt", "tls.key"]);

        const controller = values(prod).controller;
        // The synced Secret is not the default-server secret: the controller exits at start without
        // that one, and the CSI driver creates it only after the pod has mounted the volume.
        assert.equal(controller.defaultTLS, undefined, "no default-server secret and no certificate in Helm values");
        assert.equal(controller.serviceAccount.name, "nginx-ingress");
        assert.equal(controller.serviceAccount.annotations["azure.workload.identity/client-id"], CLIENT_ID);
        assert.equal(controller.pod.extraLabels["azure.workload.identity/use"], "true");
        const [volume] = controller.volumes;
        assert.equal(volume.csi.driver, "secrets-store.csi.k8s.io");
        assert.equal(volume.csi.volumeAttributes.secretProviderClass, spc.input("metadata.name"));
        assert.equal(controller.volumeMounts[0].name, volume.name);
    });

    it("installs after the SecretProviderClass and the identity's grants", () => {
        const release = prod.one("kubernetes:helm.sh/v3:Release");
        assert.ok(release.dependsOn(prod.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")));
        assert.ok(release.dependsOn(prod.one("random:index/randomId:RandomId")));
    });

    it("refuses HA with a single replica", async () => {
        await assert.rejects(
            runComponents(() => new IngressController("nginx-ingress", args({ replicas: 1 }), { provider: testProvider() })),
            /at least 2 replicas/,
        );
    });

    it("emits a SecretProviderClass that validates against the Secrets Store CSI CRD", function () {
        assertCustomResourcesValid(prod.evaluation.resources, 1);
    });
});
