import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../offline/document";
import { customResourceKind, loadCrdSchemas, validateCustomResources } from "./crd-schemas";

function captured(type: string, inputs: Record<string, unknown>): CapturedResource {
    return { urn: `urn:test::${type}::x`, type, name: "x", custom: true, dependencies: [], propertyDependencies: {}, inputs, options: {} };
}

describe("test support: CRD schema validation", () => {
    it("tells custom resources from built-in and Pulumi types", () => {
        assert.equal(customResourceKind({ type: "kubernetes:policy.linkerd.io/v1beta3:Server" }), "policy.linkerd.io/v1beta3:Server");
        assert.equal(customResourceKind({ type: "kubernetes:k8s.nginx.org/v1:Policy" }), "k8s.nginx.org/v1:Policy");
        for (const type of ["kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment", "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:helm.sh/v3:Release", "kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:yaml/v2:ConfigFile"]) {
            assert.equal(customResourceKind({ type }), undefined, type);
        }
    });

    it("catches misspelled fields, wrong types and kinds it has no schema for", () => {
        const schemas = loadCrdSchemas();
        const meta = { name: "x", namespace: "y" };
        const report = validateCustomResources(
            [
                captured("kubernetes:policy.linkerd.io/v1beta3:Server", { apiVersion: "policy.linkerd.io/v1beta3", kind: "Server", metadata: meta, spec: { podSelector: {}, port: 8080 } }),
                captured("kubernetes:policy.linkerd.io/v1beta3:Server", { apiVersion: "policy.linkerd.io/v1beta3", kind: "Server", metadata: meta, spec: { podSelector: {}, prot: 8080 } }),
                captured("kubernetes:k8s.nginx.org/v1:Policy", { apiVersion: "k8s.nginx.org/v1", kind: "Policy", metadata: meta, spec: { rateLimit: { rate: "5r/s", burst: "ten" } } }),
                captured("kubernetes:example.com/v1:Widget", { apiVersion: "example.com/v1", kind: "Widget", metadata: meta }),
            ],
            schemas,
        );
        assert.equal(report.checked, 3);
        assert.equal(report.failures.length, 2);
        assert.match(report.failures[0].problems.join("\n"), /additional properties: prot/);
        assert.match(report.failures[0].problems.join("\n"), /required property 'port'/);
        assert.match(report.failures[1].problems.join("\n"), /\/spec\/rateLimit\/burst must be integer/);
        assert.equal(report.unknownKinds.length, 1);
    });
});
