import * as assert from "node:assert/strict";
import { LINKERD, NGINX_INGRESS } from "../../components/versions";
import { chartName, checkChartValues, mergeValues } from "./chart-values";

describe("test support: chart values against the chart's reference data", () => {
    it("merges values as Helm does: maps key by key, lists and scalars replaced", () => {
        assert.deepEqual(mergeValues({ a: { b: 1, c: [1, 2] }, d: "x" }, { a: { c: [3] }, e: true }), { a: { b: 1, c: [3] }, d: "x", e: true });
    });

    it("names misspelt keys, in charts with and without a values schema", () => {
        const nginx = checkChartValues("nginx-ingress", NGINX_INGRESS.chartVersion, { controller: { enableSnipets: false, config: { entries: { "any-key": "free-form" } } } });
        assert.deepEqual(nginx.unknownKeys, ["controller.enableSnipets"]);
        const linkerd = checkChartValues(LINKERD.controlPlaneChart, LINKERD.chartVersion, { identity: { issuer: { schme: "kubernetes.io/tls" } }, podAnnotations: { free: "form" } });
        assert.deepEqual(linkerd.unknownKeys, ["identity.issuer.schme"]);
        assert.equal(linkerd.schemaChecked, false);
    });

    it("accepts keys the chart documents only in its schema or its HA overlay", () => {
        // controller.image.tag is commented out in values.yaml but declared in values.schema.json;
        // resources.limits sits below a Kubernetes type the schema only references.
        const nginx = checkChartValues("nginx-ingress", NGINX_INGRESS.chartVersion, { controller: { image: { tag: "5.5.4" }, resources: { limits: { memory: "1Gi" } } } });
        assert.deepEqual(nginx.unknownKeys, []);
        const linkerd = checkChartValues(LINKERD.controlPlaneChart, LINKERD.chartVersion, { destinationResources: { cpu: { request: "100m" } } });
        assert.deepEqual(linkerd.unknownKeys, []);
    });

    it("validates the merged values against values.schema.json, as helm install does", () => {
        const report = checkChartValues("nginx-ingress", NGINX_INGRESS.chartVersion, { controller: { replicaCount: "three", ingressClass: "nginx" } });
        assert.equal(report.schemaChecked, true);
        assert.ok(report.schemaErrors.some((error) => error.startsWith("/controller/replicaCount must be integer")), report.schemaErrors.join("\n"));
        assert.ok(report.schemaErrors.some((error) => error.startsWith("/controller/ingressClass must be object")), report.schemaErrors.join("\n"));
    });

    it("fails, naming the folder, for a chart version without reference data", () => {
        assert.throws(() => checkChartValues("nginx-ingress", "9.9.9", {}), /upstream reference data missing: .*chart-values\/nginx-ingress-9\.9\.9/);
    });

    it("takes the chart name from an OCI or repository reference", () => {
        assert.equal(chartName(NGINX_INGRESS.chart), "nginx-ingress");
        assert.equal(chartName("linkerd-control-plane"), "linkerd-control-plane");
    });
});
