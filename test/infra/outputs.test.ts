/**
 * The outputs contract: the fields other teams rely on, with real-looking values, and nothing
 * secret or secret-looking in it.
 */
import * as assert from "node:assert/strict";
import { appRoleId } from "../../components/entra/api-application";
import { OUTPUTS_SCHEMA_VERSION } from "../../infra/outputs";
import { OFFLINE_SUBSCRIPTION_ID } from "../../offline/mocks";
import { containsSecret } from "../../offline/wire";
import type { PlannedStack } from "../harness";
import { plannedStack, resourceGroupId, STACKS } from "./azure-stacks";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT = "00000000-0000-0000-0000-000000000000";

function leaves(value: unknown, path: string[] = []): [string, unknown][] {
    if (Array.isArray(value)) return value.flatMap((item, i) => leaves(item, [...path, String(i)]));
    if (value && typeof value === "object") return Object.entries(value).flatMap(([key, inner]) => leaves(inner, [...path, key]));
    return [[path.join("."), value]];
}

describe("outputs contract", () => {
    let prod: PlannedStack;
    before(async () => {
        prod = await plannedStack("prod");
    });

    it("keeps its schema version and environment facts", () => {
        assert.equal(prod.outputs.schemaVersion, OUTPUTS_SCHEMA_VERSION);
        assert.equal(prod.outputs.environment, "prod");
        assert.equal(prod.outputs.location, "westeurope");
        assert.equal(prod.outputs.tenantId, TENANT);
    });

    it("names the resource group, workspace, cluster, Key Vault, registry and Log Analytics", () => {
        const rg = resourceGroupId("prod");
        const o = prod.outputs as Record<string, Record<string, unknown>>;
        assert.deepEqual(o.resourceGroup, { id: rg, name: "rg-aml-prod" });
        assert.equal(o.workspace.id, `${rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw-aml-prod`);
        assert.equal(o.workspace.name, "mlw-aml-prod");
        assert.equal(o.workspace.discoveryUrl, "https://westeurope.api.azureml.ms/discovery");
        assert.equal(o.workspace.mlflowTrackingUri, `azureml://westeurope.api.azureml.ms/mlflow/v1.0${rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw-aml-prod`);
        assert.equal(o.cluster.id, `${rg}/providers/Microsoft.ContainerService/managedClusters/aks-aml-prod`);
        assert.match(String(o.cluster.oidcIssuerUrl), new RegExp(`^https://westeurope\\.oic\\.prod-aks\\.azure\\.com/${TENANT}/[0-9a-f-]{36}/$`));
        assert.match(String(o.keyVault.uri), /^https:\/\/kv-aml-prd-[0-9a-f]{6}\.vault\.azure\.net\/$/);
        assert.match(String(o.containerRegistry.loginServer), /^cramlprd[0-9a-f]{6}\.azurecr\.io$/);
        assert.equal(o.logAnalytics.workspaceResourceId, `${rg}/providers/Microsoft.OperationalInsights/workspaces/log-aml-prod`);
        assert.match(String(o.logAnalytics.workspaceId), GUID);
        assert.deepEqual(o.edge, {
            hostName: "ml.example.com",
            exposure: "internal",
            routes: [
                { name: "churn-scoring", host: "ml.example.com", path: "/models/churn", roles: ["Model.Invoke"] },
                { name: "features", host: "ml.example.com", path: "/features", roles: ["Features.Read"] },
                { name: "ml-inference", host: "ml.example.com", path: "/api/v1/endpoint", roles: ["Model.Invoke"] },
            ],
            ingressClassName: "nginx",
            authorizer: { namespace: "edge-authorizer", name: "edge-authorizer", port: 8080, authServiceName: "edge-authorizer/edge-authorizer" },
            ingressIdentity: { namespace: "nginx-ingress", serviceAccount: "nginx-ingress" },
            defaultRateLimit: { requestsPerSecond: 100, burst: 200 },
        });
        assert.ok(String(o.resourceGroup.id).includes(OFFLINE_SUBSCRIPTION_ID));
    });

    it("tells callers and the edge what tokens look like: audience (client ID), identifier URI, issuer, app roles", () => {
        const api = prod.outputs.api as { clientId: string; identifierUri: string; tokenIssuer: string; appRoles: { value: string; id: string }[] };
        assert.match(api.clientId, GUID);
        assert.equal(api.identifierUri, `api://${TENANT}/aml-prod-platform`);
        assert.equal(api.tokenIssuer, `https://login.microsoftonline.com/${TENANT}/v2.0`);
        assert.deepEqual(api.appRoles.map((r) => r.value), ["Model.Invoke", "Model.Deploy", "Experiment.Run", "Features.Read"]);
        for (const role of api.appRoles) assert.equal(role.id, appRoleId(api.identifierUri, role.value));
    });

    it("lists each caller with the client ID it logs in with (none for a group)", () => {
        const callers = prod.outputs.callers as { name: string; kind: string; clientId?: string }[];
        assert.deepEqual(callers.map((c) => [c.name, c.kind]), [
            ["data-scientists", "group"],
            ["model-release", "ci-pipeline"],
            ["training", "aml-job"],
            ["feature-api", "workload"],
            ["claims-portal", "external-app"],
            ["platform-deploy", "ci-pipeline"],
            ["platform-preview", "ci-pipeline"],
        ]);
        for (const caller of callers) {
            if (caller.kind === "group") assert.equal(caller.clientId, undefined);
            else assert.match(String(caller.clientId), GUID, caller.name);
        }
    });

    for (const name of STACKS) {
        it(`${name}: holds nothing secret and nothing secret-looking`, async () => {
            const stack = await plannedStack(name);
            assert.equal(containsSecret(stack.evaluation.outputs), false);
            for (const [path, value] of leaves(stack.outputs)) {
                assert.doesNotMatch(path, /password|secret|token(?!Issuer)|credential|kubeconfig|connectionString|instrumentationKey|accessKey|privateKey/i, path);
                assert.doesNotMatch(String(value), /-----BEGIN|AccountKey=|InstrumentationKey=|SharedAccessSignature|^eyJ/, path);
            }
        });
    }
});
