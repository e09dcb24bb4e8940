import * as assert from "node:assert/strict";
import { MeshPki, type MeshPkiArgs } from "../../../components/mesh/pki";
import { isSecretOutput, outputValue, runComponents, type PlannedStack } from "../../harness";
import { assertNoPlainPrivateKeys, containsPrivateKey } from "../../support/secrets-scan";

const baseArgs: MeshPkiArgs = {
    anchorValidityDays: 3650,
    issuerValidityDays: 180,
    issuerRenewBeforeDays: 30,
    keyVault: { name: "kv-aml-prod", resourceGroupName: "rg-aml-prod" },
};

const KEY = "tls:index/privateKey:PrivateKey";
const SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
const SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const VAULT_SECRET = "azure-native:keyvault:Secret";

describe("MeshPki", () => {
    let pki: MeshPki;
    let stack: PlannedStack;
    before(async () => {
        stack = await runComponents(() => {
            pki = new MeshPki("mesh-pki", baseArgs);
        });
    });

    it("creates an ECDSA P-256 self-signed trust anchor that may sign one level of CAs, with no early renewal", () => {
        const anchorKey = stack.one(KEY, "mesh-pki-anchor-blue-key");
        assert.equal(anchorKey.input("algorithm"), "ECDSA");
        assert.equal(anchorKey.input("ecdsaCurve"), "P256");
        const anchor = stack.one(SELF_SIGNED);
        assert.equal(anchor.input("isCaCertificate"), true);
        assert.equal(anchor.input("maxPathLength"), 1);
        assert.equal(anchor.input("validityPeriodHours"), 3650 * 24);
        assert.equal(anchor.input("earlyRenewalHours"), undefined, "an anchor must never be replaced by an ordinary pulumi up");
        assert.deepEqual(anchor.input("allowedUses"), ["cert_signing", "crl_signing"]);
        assert.equal(anchor.input("subject.commonName"), "root.linkerd.cluster.local");
        assert.ok(anchor.dependsOn(anchorKey));
    });

    it("signs an ECDSA P-256 issuer CA for identity.linkerd.<trust domain> with the anchor, renewed inside its window", async () => {
        const issuerKey = stack.one(KEY, "mesh-pki-issuer-key");
        assert.equal(issuerKey.input("ecdsaCurve"), "P256");
        const request = stack.one("tls:index/certRequest:CertRequest");
        assert.deepEqual(request.input("dnsNames"), ["identity.linkerd.cluster.local"]);
        assert.equal(pki.trustDomain, "cluster.local");
        const issuer = stack.one(SIGNED);
        assert.equal(issuer.input("isCaCertificate"), true);
        assert.equal(issuer.input("validityPeriodHours"), 180 * 24);
        assert.equal(issuer.input("earlyRenewalHours"), 30 * 24);
        assert.equal(issuer.input("caCertPem"), await outputValue(pki.trustAnchorPem));
        assert.ok(issuer.isSecret("caPrivateKeyPem"), "the anchor key is passed to the signer as a secret");
        assert.ok(issuer.dependsOn(stack.one(SELF_SIGNED)));
        assert.ok(issuer.dependsOn(request));
    });

    it("stores the anchor's private key in Key Vault as a secret, next to its certificate", () => {
        const keySecret = stack.one(VAULT_SECRET, "mesh-pki-anchor-blue-key");
        assert.equal(keySecret.input("vaultName"), "kv-aml-prod");
        assert.equal(keySecret.input("resourceGroupName"), "rg-aml-prod");
        assert.equal(keySecret.input("secretName"), "linkerd-trust-anchor-blue-key");
        assert.ok(keySecret.isSecret("properties.value"));
        assert.ok(containsPrivateKey(keySecret.input("properties.value")), "the vault secret holds the real key");
        assert.equal(keySecret.input("properties.contentType"), "application/x-pem-file");
        const certSecret = stack.one(VAULT_SECRET, "mesh-pki-anchor-blue-crt");
        assert.ok(!containsPrivateKey(certSecret.input("properties.value")));
    });

    it("never exposes a private key outside a secret, and its key outputs are secrets", async () => {
        assertNoPlainPrivateKeys(stack.evaluation.resources);
        assert.ok(await isSecretOutput(pki.issuerKeyPem));
        assert.ok(containsPrivateKey(await outputValue(pki.issuerKeyPem)));
        for (const publicPem of [pki.trustAnchorPem, pki.trustBundlePem, pki.issuerCertPem]) {
            assert.ok(!containsPrivateKey(await outputValue(publicPem)));
        }
    });

    it("protects the trust anchor by default and not when told otherwise", async () => {
        for (const name of ["mesh-pki-anchor-blue-key", "mesh-pki-anchor-blue"]) {
            assert.equal(stack.resources.find((r) => r.name === name && r.type !== VAULT_SECRET)?.captured.options.protect, true);
        }
        assert.equal(stack.one(VAULT_SECRET, "mesh-pki-anchor-blue-key").captured.options.protect, true);
        assert.notEqual(stack.one(SIGNED).captured.options.protect, true, "the issuer must stay replaceable");
        const dev = await runComponents(() => new MeshPki("mesh-pki", { ...baseArgs, protectTrustAnchors: false }));
        assert.ok(dev.resources.every((r) => r.captured.options.protect !== true));
    });

    it("rotates anchors through two slots: both trusted, the issuer signed by the active one", async () => {
        let rotated: MeshPki | undefined;
        const during = await runComponents(() => {
            rotated = new MeshPki("mesh-pki", { ...baseArgs, anchors: { active: "green", alsoTrusted: "blue" } });
        });
        assert.equal(during.ofType(SELF_SIGNED).length, 2);
        const green = await outputValue(rotated!.trustAnchorPem);
        assert.equal(during.one(SIGNED).input("caCertPem"), green);
        const bundle = await outputValue(rotated!.trustBundlePem);
        const certs = bundle.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
        assert.equal(certs.length, 2);
        assert.ok(bundle.startsWith(green.trim()), "the active anchor comes first");
        assert.deepEqual(Object.keys(rotated!.anchorKeySecretNames).sort(), ["blue", "green"]);
    });

    it("refuses lifetimes that cannot work", async () => {
        const attempt = (args: MeshPkiArgs) => runComponents(() => new MeshPki("bad", args));
        await assert.rejects(attempt({ ...baseArgs, issuerRenewBeforeDays: 180 }), /issuerRenewBeforeDays/);
        await assert.rejects(attempt({ ...baseArgs, issuerValidityDays: 4000 }), /cannot outlive the trust anchor/);
        await assert.rejects(attempt({ ...baseArgs, anchors: { active: "blue", alsoTrusted: "blue" } }), /other slot/);
    });
});
