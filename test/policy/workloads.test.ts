import * as assert from "node:assert/strict";
import { parseImage, registryAllowed } from "../../policy/lib/kube";
import { assertPasses, assertUndecidedInPreview, assertViolates, check, notApplicableReason, resource, UNKNOWN, violationsOf } from "./helpers";
import { deployment, podSpec, secureContainer, T } from "./fixtures";

const WORKLOAD_POLICIES = ["workload-security-context", "workload-resource-limits", "workload-image-tag-pinned", "workload-image-digest-pinned", "workload-image-registry-allowed"];

describe("policy: workloads", () => {
    it("parses image references and matches registry allowlists", () => {
        assert.deepEqual(parseImage("nginx"), { registry: "docker.io", repository: "docker.io/library/nginx", tag: undefined, digest: undefined });
        assert.deepEqual(parseImage("localhost:5000/team/app:1.2"), { registry: "localhost:5000", repository: "localhost:5000/team/app", tag: "1.2", digest: undefined });
        assert.equal(parseImage("mcr.microsoft.com/azureml/x@sha256:abc").digest, "sha256:abc");
        assert.ok(registryAllowed(parseImage("acramlprod.azurecr.io/app:1"), ["*.azurecr.io"]));
        assert.ok(registryAllowed(parseImage("ghcr.io/nginx/nginx-ingress:5.5.4"), ["ghcr.io/nginx"]));
        assert.ok(!registryAllowed(parseImage("ghcr.io/nginxx/evil:1"), ["ghcr.io/nginx"]));
        assert.ok(!registryAllowed(parseImage("evilazurecr.io/app:1"), ["*.azurecr.io"]));
    });

    it("pass a hardened Deployment, StatefulSet, DaemonSet, Job, CronJob and Pod", async () => {
        const spec = podSpec();
        const template = { metadata: { labels: { app: "x" } }, spec };
        const resources = [
            deployment("app", "models"),
            resource(T.statefulSet, "db", { metadata: { namespace: "models" }, spec: { serviceName: "db", selector: {}, template } }),
            resource(T.daemonSet, "agent", { metadata: { namespace: "models" }, spec: { selector: {}, template } }),
            resource(T.job, "migrate", { metadata: { namespace: "models" }, spec: { template } }),
            resource(T.cronJob, "nightly", { metadata: { namespace: "models" }, spec: { schedule: "@daily", jobTemplate: { spec: { template } } } }),
            resource(T.pod, "debug", { metadata: { namespace: "models" }, spec }),
        ];
        const report = await check(resources);
        for (const item of resources) for (const policy of WORKLOAD_POLICIES) assertPasses(report, policy, item.urn);
    });

    it("workload-security-context: flags root, writable root filesystem, escalation and privileged containers, init containers included", async () => {
        const loose = deployment(
            "loose",
            "models",
            podSpec([secureContainer({ securityContext: { privileged: true, runAsUser: 0 } })], {
                securityContext: {},
                initContainers: [secureContainer({ name: "init", securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true } })],
            }),
        );
        const report = await check([loose]);
        const messages = violationsOf(report, "workload-security-context", loose.urn).map((violation) => violation.message);
        for (const expected of [
            /container 'app' \(containers\[0\]\): runAsNonRoot is not true/,
            /container 'app' .*runAsUser is 0/,
            /container 'app' .*readOnlyRootFilesystem is not true/,
            /container 'app' .*allowPrivilegeEscalation is not false/,
            /container 'app' .*privileged is true/,
            /container 'init' \(initContainers\[0\]\): allowPrivilegeEscalation is not false/,
        ]) {
            assert.ok(messages.some((message) => expected.test(message)), `${expected} in ${messages.join("\n")}`);
        }
    });

    it("workload-security-context: runAsNonRoot on the pod covers its containers", async () => {
        const podLevel = deployment("pod-level", "models", podSpec([secureContainer({ securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false } })]));
        assertPasses(await check([podLevel]), "workload-security-context", podLevel.urn);
    });

    it("workload-resource-limits: flags a container without cpu or memory limits", async () => {
        const unbounded = deployment("unbounded", "models", podSpec([secureContainer({ resources: { limits: { memory: "1Gi" } } })]));
        assertViolates(await check([unbounded]), "workload-resource-limits", unbounded.urn, /no cpu limit/);
    });

    it("workload-image-tag-pinned and workload-image-digest-pinned: latest and untagged images fail; a tag without digest is only advisory", async () => {
        const latest = deployment("latest", "models", podSpec([secureContainer({ image: "acramlprod.azurecr.io/app:latest" })]));
        const untagged = deployment("untagged", "models", podSpec([secureContainer({ image: "acramlprod.azurecr.io/app" })]));
        const tagged = deployment("tagged", "models", podSpec([secureContainer({ image: "acramlprod.azurecr.io/app:1.4.2" })]));
        const report = await check([latest, untagged, tagged]);
        assertViolates(report, "workload-image-tag-pinned", latest.urn, /mutable tag 'latest'/);
        assertViolates(report, "workload-image-tag-pinned", untagged.urn, /has no tag/);
        assertPasses(report, "workload-image-tag-pinned", tagged.urn);
        const [digest] = assertViolates(report, "workload-image-digest-pinned", tagged.urn, /not pinned by digest/);
        assert.equal(digest.level, "advisory", "digest pinning stays advisory, even in prod");
        assert.equal(digest.severity, "low");
    });

    it("workload-image-registry-allowed: flags registries outside the allowlist, which the policy config can extend", async () => {
        const hub = deployment("hub", "models", podSpec([secureContainer({ image: "nginx:1.27" })]));
        const report = await check([hub]);
        assertViolates(report, "workload-image-registry-allowed", hub.urn, /from docker.io, which is not in allowedRegistries/);
        const extended = await check([hub], "prod", { all: "mandatory", "workload-image-registry-allowed": { allowedRegistries: ["docker.io/library"] } });
        assertPasses(extended, "workload-image-registry-allowed", hub.urn);
    });

    it("is undecided during preview when the image is computed, and not applicable to other kinds", async () => {
        const computed = deployment("computed", "models", podSpec([secureContainer({ image: UNKNOWN })]));
        const service = resource(T.service, "svc", { spec: { type: "ClusterIP" } });
        const report = await check([computed, service]);
        assertUndecidedInPreview(report, "workload-image-tag-pinned", computed.urn);
        assertPasses(report, "workload-security-context", computed.urn);
        assert.match(notApplicableReason(report, "workload-security-context", service.urn) ?? "", /only applies to resources of type 'kubernetes:apps\/v1:Deployment'/);
    });
});
