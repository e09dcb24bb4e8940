import * as assert from "node:assert/strict";
import { Namespace } from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import { AZUREML_TRUSTED_ACCESS_ROLE, MlKubernetesCompute } from "../../../components/azure/ml-kubernetes-compute";
import { AZUREML_EXTENSION_VERSION } from "../../../components/versions";
import { outputValue, runComponents, type PlannedStack } from "../../harness";
import { context, RG_ID } from "./fixtures";

const CLUSTER_ID = `${RG_ID}/providers/Microsoft.ContainerService/managedClusters/aks-test`;
const WORKSPACE_ID = `${RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test`;

describe("MlKubernetesCompute", () => {
    let stack: PlannedStack;
    let built: MlKubernetesCompute;
    before(async () => {
        stack = await runComponents(() => {
            const namespace = new Namespace("aml-workloads", { metadata: { name: "aml-workloads" } });
            built = new MlKubernetesCompute("inference", {
                context,
                cluster: { id: CLUSTER_ID, name: "aks-test" },
                workspace: { id: WORKSPACE_ID, name: "mlw-test" },
                namespace: { name: "aml-workloads", resource: namespace },
                computeName: "aks-inference",
                inference: { highAvailability: true, tls: { secretName: "azureml-fe-tls", hostName: "ml.contoso.com" } },
            });
        });
    });

    it("installs the Azure ML extension pinned, with inference behind a ClusterIP router over HTTPS only", () => {
        const extension = stack.one("azure-native:kubernetesconfiguration:Extension");
        assert.equal(extension.input("extensionType"), "Microsoft.AzureML.Kubernetes");
        assert.equal(extension.input("clusterName"), "aks-test");
        assert.equal(extension.input("clusterRp"), "Microsoft.ContainerService");
        assert.equal(extension.input("clusterResourceName"), "managedClusters");
        assert.equal(extension.input("version"), AZUREML_EXTENSION_VERSION);
        assert.match(AZUREML_EXTENSION_VERSION, /^\d+\.\d+\.\d+$/);
        assert.equal(extension.input("autoUpgradeMinorVersion"), false);
        assert.equal(extension.input("scope.cluster.releaseNamespace"), "azureml");
        const settings = extension.input("configurationSettings") as Record<string, string>;
        assert.equal(settings.enableInference, "True");
        assert.equal(settings.inferenceRouterServiceType, "clusterIP");
        assert.equal(settings.allowInsecureConnections, "False");
        assert.equal(settings.sslSecret, "azureml-fe-tls");
        assert.equal(settings.sslCname, "ml.contoso.com");
        assert.equal(settings.inferenceRouterHA, "True");
        assert.equal(extension.input("configurationProtectedSettings"), undefined, "no key material passes through the extension");
    });

    it("leaves the Trusted Access binding to Azure ML, which makes it when the compute is attached", () => {
        assert.equal(stack.ofType("azure-native:containerservice:TrustedAccessRoleBinding").length, 0);
        assert.equal(AZUREML_TRUSTED_ACCESS_ROLE, "Microsoft.MachineLearningServices/workspaces/mlworkload");
    });

    it("attaches the cluster as Kubernetes compute for the namespace, only after the extension and the namespace", () => {
        const compute = stack.one("azure-native:machinelearningservices:Compute");
        assert.equal(compute.input("properties.computeType"), "Kubernetes");
        assert.equal(compute.input("properties.resourceId"), CLUSTER_ID);
        assert.equal(compute.input("properties.properties.namespace"), "aml-workloads");
        assert.equal(compute.input("properties.disableLocalAuth"), true);
        assert.equal(compute.input("identity.type"), "SystemAssigned");
        assert.ok(compute.dependsOn(stack.one("azure-native:kubernetesconfiguration:Extension")));
        assert.ok(compute.dependsOn(stack.one("kubernetes:core/v1:Namespace")));
    });

    it("tells the edge where the inference router is", async () => {
        assert.deepEqual(built.inferenceRouter, {
            namespace: "azureml",
            serviceName: "azureml-fe",
            port: 443,
            scheme: "https",
            serviceAccount: "azureml-fe-v2",
            podSelector: { azuremlappname: "azureml-fe" },
            modelScoringPort: 5001,
            tlsSecretName: "azureml-fe-tls",
            tlsHostName: "ml.contoso.com",
        });
        assert.match(await outputValue(pulumi.output(built.identity.principalId)), /^[0-9a-f-]{36}$/);
    });
});
