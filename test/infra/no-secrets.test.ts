/**
 * The whole program, on every shipped stack, creates no credential a managed identity or a
 * federated credential can replace: no client secret or certificate on an app registration, no
 * key listing, no admin credential, no local/shared-key authentication left on, and nothing
 * secret-looking in a plain (non-secret) input.
 */
import * as assert from "node:assert/strict";
import { maskWire } from "../../offline/wire";
import type { PlannedStack } from "../harness";
import { PRIVATE_KEY_PEM } from "../support/secrets-scan";
import { functionsCalled, plannedStack, STACKS } from "./azure-stacks";

const CREDENTIAL_TYPES = /azuread:index\/(applicationPassword|servicePrincipalPassword|applicationCertificate|servicePrincipalCertificate|servicePrincipalTokenSigningCertificate)|azure-native:.*:(ListKeys|.*Credential(s)?Secret)|random:index\/randomPassword/i;
/** Provider functions that return keys or admin credentials. */
const KEY_FUNCTIONS = /list(StorageAccount|Workspace|Vault|Component|Registry|Database|Namespace)?Keys|listManagedClusterAdminCredentials|listManagedClusterMonitoringUserCredentials|listRegistryCredentials|listWorkspaceSecrets|listAuthorizationRuleKeys/i;
/** What the program may call: who is deploying, its kind, and the credential-free user kubeconfig. */
const ALLOWED_FUNCTIONS = new Set([
    "azure-native:authorization:getClientConfig",
    "azure-native:resources:getResourceGroup",
    "azuread:index/getDirectoryObject:getDirectoryObject",
    "azure-native:containerservice:listManagedClusterUserCredentials",
]);
const SECRET_LOOKING = [
    PRIVATE_KEY_PEM,
    /AccountKey=/i,
    /SharedAccessSignature=|[?&]sig=[A-Za-z0-9%]{20,}/,
    /InstrumentationKey=/i,
    /"(client[-_]?secret|password|token|client-key-data)":\s*"[^"]+"/i,
    /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./, // a JWT
];

describe("no secrets over the shipped stacks", () => {
    for (const name of STACKS) {
        describe(name, () => {
            let stack: PlannedStack;
            before(async () => {
                stack = await plannedStack(name);
            });

            it("creates no password, client secret or certificate credential", () => {
                assert.deepEqual(stack.resources.filter((r) => CREDENTIAL_TYPES.test(r.type)).map((r) => r.urn), []);
                for (const app of stack.ofType("azuread:index/application:Application")) assert.equal(app.input("password"), undefined, app.name);
            });

            it("calls no function that lists keys or admin credentials", async () => {
                const calls = await functionsCalled(name);
                assert.ok(calls.includes("azure-native:containerservice:listManagedClusterUserCredentials"));
                assert.deepEqual(calls.filter((token) => KEY_FUNCTIONS.test(token) || !ALLOWED_FUNCTIONS.has(token)), []);
            });

            it("leaves no local or key-based authentication on", () => {
                assert.equal(stack.one("azure-native:containerservice:ManagedCluster").input("disableLocalAccounts"), true);
                assert.equal(stack.one("azure-native:storage:StorageAccount").input("allowSharedKeyAccess"), false);
                assert.equal(stack.one("azure-native:containerregistry:Registry").input("adminUserEnabled"), false);
                assert.equal(stack.one("azure-native:containerregistry:Registry").input("anonymousPullEnabled"), false);
                assert.equal(stack.one("azure-native:keyvault:Vault").input("properties.enableRbacAuthorization"), true);
                assert.equal(stack.one("azure-native:operationalinsights:Workspace").input("features.disableLocalAuth"), true);
                for (const compute of stack.ofType("azure-native:machinelearningservices:Compute")) assert.equal(compute.input("properties.disableLocalAuth"), true, compute.name);
                assert.equal(stack.one("azure-native:kubernetesconfiguration:Extension").input("configurationProtectedSettings"), undefined);
            });

            it("keeps the kubeconfig secret and puts nothing secret-looking in a plain input", () => {
                assert.equal(stack.one("pulumi:providers:kubernetes").isSecret("kubeconfig"), true);
                for (const resource of stack.resources) {
                    const plain = JSON.stringify(maskWire(resource.captured.inputs));
                    for (const pattern of SECRET_LOOKING) assert.doesNotMatch(plain, pattern, `${resource.urn} has a plain input matching ${pattern}`);
                }
            });
        });
    }
});
