import * as assert from "node:assert/strict";
import { UpstreamCertificate, type UpstreamCertificateArgs } from "../../../components/edge/upstream-certificate";
import { runComponents } from "../../harness";
import { namespaceHandle, testProvider } from "../../support/cluster-fixtures";

const args = (overrides: Partial<UpstreamCertificateArgs> = {}): UpstreamCertificateArgs => ({
    namespace: namespaceHandle("azureml"),
    secretName: "azureml-fe-tls",
    dnsNames: ["ml.contoso.com", "azureml-fe.azureml.svc"],
    files: { certificate: "cert.pem", privateKey: "key.pem" },
    validityDays: 90,
    renewBeforeDays: 30,
    ...overrides,
});

describe("UpstreamCertificate", () => {
    it("issues a short-lived ECDSA serving certificate that pulumi up renews inside its window", async () => {
        const stack = await runComponents(() => new UpstreamCertificate("router-tls", args(), { provider: testProvider() }));
        assert.equal(stack.one("tls:index/privateKey:PrivateKey").input("algorithm"), "ECDSA");
        const cert = stack.one("tls:index/selfSignedCert:SelfSignedCert");
        assert.deepEqual(cert.input("dnsNames"), ["ml.contoso.com", "azureml-fe.azureml.svc"]);
        assert.equal(cert.input("validityPeriodHours"), 90 * 24);
        assert.equal(cert.input("earlyRenewalHours"), 30 * 24);
        assert.equal(cert.input("isCaCertificate"), false);
        assert.deepEqual(cert.input("allowedUses"), ["digital_signature", "key_encipherment", "server_auth"]);
    });

    it("puts the key only into the upstream's Secret, as a Pulumi secret, under the file names it reads", async () => {
        const stack = await runComponents(() => new UpstreamCertificate("router-tls", args(), { provider: testProvider() }));
        const secret = stack.one("kubernetes:core/v1:Secret");
        assert.equal(secret.input("metadata.name"), "azureml-fe-tls");
        assert.equal(secret.input("metadata.namespace"), "azureml");
        assert.match(String(secret.input(["stringData", "key.pem"])), /-----BEGIN PRIVATE KEY-----/);
        assert.ok(secret.isSecret(["stringData", "key.pem"]), "the private key must be a Pulumi secret");
        assert.match(String(secret.input(["stringData", "cert.pem"])), /-----BEGIN CERTIFICATE-----/);
        assert.equal(stack.ofType("kubernetes:core/v1:Secret").length, 1, "no other copy of the key");
    });

    it("refuses a renewal window as long as the certificate's life, and a certificate without names", async () => {
        await assert.rejects(runComponents(() => new UpstreamCertificate("bad", args({ renewBeforeDays: 90 }), { provider: testProvider() })), /renewBeforeDays \(90\) must be below validityDays \(90\)/);
        await assert.rejects(runComponents(() => new UpstreamCertificate("bad", args({ dnsNames: [] }), { provider: testProvider() })), /at least one DNS name/);
    });
});
