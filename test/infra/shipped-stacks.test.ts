/**
 * The whole program, for each shipped stack, against the rules the mesh and edge promise:
 * every custom resource is valid upstream, every Helm value is one its chart defines, nothing pulls an unpinned artifact, no private key
 * travels in plain inputs (outputs.test.ts keeps them out of the outputs), and every namespace
 * the platform puts workloads in is meshed with a default-deny inbound policy (Azure ML's extension
 * namespace: mesh identities only).
 */
import * as assert from "node:assert/strict";
import { stackRequirements } from "../../bootstrap/requirements";
import { AZUREML_EXTENSION_NAMESPACE } from "../../components/azure/ml-kubernetes-compute";
import { parseStackConfig } from "../../infra/config";
import { AZUREML_EXTENSION_VERSION } from "../../components/versions";
import { OFFLINE_SUBSCRIPTION_ID } from "../../offline/mocks";
import { shippedStackConfig } from "../harness";
import { namespacesToMesh } from "../support/cluster-fixtures";
import { chartName, checkChartValues } from "../support/chart-values";
import { assertCustomResourcesValid } from "../support/crd-schemas";
import { assertArtifactsPinned } from "../support/pinned-artifacts";
import { assertNoPlainPrivateKeys } from "../support/secrets-scan";
import { plannedStack, STACKS } from "./azure-stacks";

describe("shipped stacks (whole program)", () => {
    for (const name of STACKS) {
        describe(name, () => {
            it("emits only custom resources that validate against the upstream CRD schemas", async function () {
                const stack = await plannedStack(name);
                assertCustomResourcesValid(stack.evaluation.resources, 15);
            });

            it("sets only values its charts define, and values that pass the chart's values schema", async () => {
                const stack = await plannedStack(name);
                const releases = stack.ofType("kubernetes:helm.sh/v3:Release");
                let schemaChecked = 0;
                for (const release of releases) {
                    const report = checkChartValues(chartName(String(release.input("chart"))), String(release.input("version")), release.input("values"));
                    assert.deepEqual(report.unknownKeys, [], `${release.urn}: keys the chart does not define`);
                    assert.deepEqual(report.schemaErrors, [], `${release.urn}: values.schema.json`);
                    if (report.schemaChecked) schemaChecked++;
                }
                assert.ok(schemaChecked >= 1, "the NGINX chart's values schema was applied");
            });

            it("pulls every chart, image and manifest from components/versions.ts, none floating", async () => {
                const stack = await plannedStack(name);
                const requirements = stackRequirements(parseStackConfig(shippedStackConfig(name)), OFFLINE_SUBSCRIPTION_ID);
                const image = requirements.authorizerImage!;
                assertArtifactsPinned(stack.evaluation.resources, `${image.loginServer}/${image.repository}@${image.digest}`);
                const extension = stack.one("azure-native:kubernetesconfiguration:Extension");
                assert.equal(extension.input("version"), AZUREML_EXTENSION_VERSION);
                assert.equal(extension.input("autoUpgradeMinorVersion"), false);
            });

            // Outputs: outputs.test.ts holds every stack's outputs free of any PEM block.
            it("keeps private keys out of plain inputs", async () => {
                const stack = await plannedStack(name);
                assertNoPlainPrivateKeys(stack.evaluation.resources);
            });

            it("meshes every namespace it puts workloads in, default-deny except Azure ML's extension namespace (mesh identities only)", async () => {
                const stack = await plannedStack(name);
                const config = parseStackConfig(shippedStackConfig(name));
                const expected = namespacesToMesh(config);
                const meshed = new Map(
                    stack
                        .ofType("kubernetes:core/v1:Namespace")
                        .filter((namespace) => namespace.input(["metadata", "annotations", "linkerd.io/inject"]) === "enabled")
                        .map((namespace) => [String(namespace.input("metadata.name")), namespace.input(["metadata", "annotations", "config.linkerd.io/default-inbound-policy"])]),
                );
                for (const namespace of expected) {
                    assert.equal(meshed.get(namespace), namespace === AZUREML_EXTENSION_NAMESPACE ? "all-authenticated" : "deny", `namespace ${namespace}`);
                }
                const workloads = [...stack.ofType("kubernetes:apps/v1:Deployment"), ...stack.ofType("kubernetes:core/v1:ServiceAccount")];
                for (const workload of workloads) {
                    const namespace = String(workload.input("metadata.namespace"));
                    assert.ok(meshed.has(namespace), `${workload.urn} runs in unmeshed namespace ${namespace}`);
                }
            });
        });
    }
});
