import * as assert from "node:assert/strict";
import { secretKind } from "../../policy/lib/secret-patterns";
import { assertPasses, assertViolates, check, resource, secret, UNKNOWN, urnOf, violationsOf } from "./helpers";
import { deployment, podSpec, secureContainer, stackOutputs, T } from "./fixtures";

const PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oQBS3xq9ZQ8koAoGCCqGSM49\n-----END EC PRIVATE KEY-----";
const STORAGE_CONNECTION = "DefaultEndpointsProtocol=https;AccountName=stamlprod;AccountKey=" + "Zm9vYmFy".repeat(11) + "==;EndpointSuffix=core.windows.net";
const SAS_URL = "https://stamlprod.blob.core.windows.net/models?sv=2024-11-04&ss=b&srt=co&sp=rl&se=2026-12-31T00:00:00Z&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789%2BabcD%3D";
const CLIENT_SECRET = "Abc8Q~" + "x".repeat(34);
const JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJhcGk6Ly9hbWxtZXNoIiwicm9sZXMiOlsiTW9kZWwuSW52b2tlIl19.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";

describe("policy: secrets", () => {
    describe("secret recognizer", () => {
        it("recognizes secret material by shape", () => {
            assert.match(secretKind("issuerKey", PEM) ?? "", /PEM private key/);
            assert.match(secretKind("storage", STORAGE_CONNECTION) ?? "", /storage account key/);
            assert.match(secretKind("url", SAS_URL) ?? "", /SAS token/);
            assert.match(secretKind("value", CLIENT_SECRET) ?? "", /Entra client secret/);
            assert.match(secretKind("header", `Bearer ${JWT}`) ?? "", /JSON Web Token/);
            assert.match(secretKind("dsn", "postgres://svc:hunter22@db:5432/x") ?? "", /password in a URL/);
        });

        it("recognizes password-like keys holding literals, but not references, masks or names of secrets", () => {
            assert.match(secretKind("adminPassword", "Winter2026!") ?? "", /literal value for 'adminPassword'/);
            assert.match(secretKind("client_secret", "not-a-real-secret") ?? "", /client_secret/);
            assert.match(secretKind("secret", "Hunter2/Winter") ?? "", /literal value for 'secret'/);
            assert.match(secretKind("password", "admin/hunter22") ?? "", /literal value for 'password'/);
            for (const [key, value] of [
                ["password", "[secret]"],
                ["password", "$(DB_PASSWORD)"],
                ["password", "/mnt/secrets/db-password"],
                ["existingSecret", "db-credentials"],
                ["tlsSecret", "edge-tls"],
                ["secretName", "linkerd-identity-issuer"],
                ["secret", "nginx-ingress/edge-default-tls"],
                ["trustAnchorsPEM", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"],
                ["password", true],
            ] as const) {
                assert.equal(secretKind(key, value), undefined, `${key}=${String(value)}`);
            }
        });
    });

    describe("no-secret-literals", () => {
        const policy = "no-secret-literals";

        it("passes Helm values, ConfigMaps and env that carry references, not secrets", async () => {
            const release = resource(T.release, "linkerd", {
                chart: "linkerd-control-plane",
                namespace: "linkerd",
                values: { identity: { externalCA: true, issuer: { scheme: "kubernetes.io/tls" } }, identityTrustAnchorsPEM: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" },
            });
            const configMap = resource(T.configMap, "settings", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "models" }, data: { AZURE_CLIENT_ID: "a1b2c3d4-0000-4000-8000-000000000001", passwordFile: "/mnt/secrets/db" } });
            const workload = deployment("api", "models", podSpec([secureContainer({ env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }] })]));
            const report = await check([release, configMap, workload]);
            for (const item of [release, configMap, workload]) assertPasses(report, policy, item.urn);
        });

        it("flags a private key in Helm values (even marked secret), keys in ConfigMaps and literal passwords in env", async () => {
            const release = resource(T.release, "linkerd", { chart: "linkerd-control-plane", namespace: "linkerd", values: { identity: { issuer: { tls: { keyPEM: secret(PEM) } } } } });
            const configMap = resource(T.configMap, "storage", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "storage" }, data: { CONNECTION: STORAGE_CONNECTION, SAS: SAS_URL } });
            const workload = deployment("api", "models", podSpec([secureContainer({ env: [{ name: "CLIENT_SECRET", value: CLIENT_SECRET }, { name: "DB_PASSWORD", value: "Winter2026!" }] })]));
            const cron = resource(T.cronJob, "sync", {
                apiVersion: "batch/v1",
                kind: "CronJob",
                metadata: { name: "sync", namespace: "jobs" },
                spec: { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: podSpec([secureContainer({ env: [{ name: "TOKEN", value: JWT }] })]) } } } },
            });
            const report = await check([release, configMap, workload, cron], "dev");
            const [violation] = assertViolates(report, policy, release.urn, /Helm value identity\.issuer\.tls\.keyPEM holds a PEM private key/);
            assert.equal(violation.level, "mandatory", "secrets never slip, not even in dev");
            assertViolates(report, policy, configMap.urn, /ConfigMap key CONNECTION holds a storage account key/);
            assertViolates(report, policy, configMap.urn, /ConfigMap key SAS holds a SAS token/);
            assertViolates(report, policy, workload.urn, /CLIENT_SECRET of container 'app' \(containers\[0\]\) holds an Entra client secret/);
            assertViolates(report, policy, workload.urn, /DB_PASSWORD .* holds a literal value for 'DB_PASSWORD'/);
            assertViolates(report, policy, cron.urn, /TOKEN .* holds a JSON Web Token/);
        });

        it("skips values unknown during preview instead of giving up on the resource", async () => {
            const release = resource(T.release, "app", { chart: "app", namespace: "models", values: { endpoint: UNKNOWN, password: "Winter2026!" } });
            const report = await check([release]);
            assert.deepEqual(violationsOf(report, policy, release.urn).map((v) => v.level), ["mandatory"]);
        });

        it("judges the known containers of a workload beside one unknown during preview", async () => {
            const leaky = secureContainer({ name: "leaky", env: [{ name: "DB_PASSWORD", value: "Winter2026!" }] });
            const before = deployment("before", "models", podSpec([UNKNOWN as never, leaky]));
            const after = deployment("after", "models", podSpec([leaky, UNKNOWN as never]));
            const report = await check([before, after]);
            for (const workload of [before, after]) {
                assert.deepEqual(violationsOf(report, policy, workload.urn).map((v) => v.level), ["mandatory"], workload.name);
                assertViolates(report, policy, workload.urn, /DB_PASSWORD of container 'leaky' \(containers\[\d\]\) holds a literal value/);
            }
        });
    });

    describe("no-secret-stack-outputs", () => {
        const policy = "no-secret-stack-outputs";
        const stackUrn = urnOf(T.stack, "amlmesh-prod");

        it("passes outputs that are names, IDs and URLs", async () => {
            const outputs = stackOutputs({ keyVault: { name: "kv-aml-prod", uri: "https://kv-aml-prod.vault.azure.net/" }, edge: { hostName: "ml.example.com" }, oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/t/c/" });
            const report = await check([outputs]);
            assert.deepEqual(violationsOf(report, policy), []);
        });

        it("flags a secret-looking output whether or not it is marked secret (analyzers see secrets unwrapped)", async () => {
            const outputs = stackOutputs({ storageConnection: secret(STORAGE_CONNECTION), issuer: { keyPEM: PEM } });
            const report = await check([outputs]);
            assertViolates(report, policy, stackUrn, /Stack output storageConnection holds a storage account key/);
            assertViolates(report, policy, stackUrn, /Stack output issuer\.keyPEM holds a PEM private key/);
        });
    });
});
