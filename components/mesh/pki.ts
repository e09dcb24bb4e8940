/**
 * The Linkerd identity PKI: a trust anchor (self-signed ECDSA P-256 CA) and an issuer (ECDSA
 * P-256 CA signed by the anchor) that the identity controller uses to sign workload
 * certificates.
 *
 * - The anchor's private key is stored in Key Vault and never goes to the cluster; only the
 *   anchor certificate does (as the trust bundle).
 * - The issuer is re-issued by `pulumi up` once it is inside its renewal window
 *   (`earlyRenewalHours`); the Linkerd component writes it into the `linkerd-identity-issuer`
 *   Secret and the identity controller reloads it without a restart.
 * - Anchors live in two slots, `blue` and `green`, so that a rotation is a sequence of config
 *   changes (trust both, switch the issuer, drop the old one) instead of a hand-made bundle.
 *
 * This component creates no Kubernetes objects: it needs no cluster, only a vault.
 */
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export type TrustAnchorSlot = "blue" | "green";

export interface MeshPkiArgs {
    /** Lifetime of each trust anchor, in days. */
    anchorValidityDays: number;
    /** Lifetime of the issuer certificate, in days (at most the anchor's). */
    issuerValidityDays: number;
    /** `pulumi up` re-issues the issuer once fewer than this many days of validity remain. */
    issuerRenewBeforeDays: number;
    /** Vault that keeps the anchors' private keys (and a copy of their certificates). */
    keyVault: {
        name: pulumi.Input<string>;
        resourceGroupName: pulumi.Input<string>;
    };
    /** Linkerd identity trust domain (the control plane takes it from here); defaults to `cluster.local`. */
    trustDomain?: string;
    /**
     * Which anchor slot signs the issuer, and which other slot is trusted alongside it during a
     * rotation. Defaults to `{ active: "blue" }`.
     */
    anchors?: {
        active: TrustAnchorSlot;
        /** A second trusted anchor (the previous or the next one) kept in the trust bundle. */
        alsoTrusted?: TrustAnchorSlot;
    };
    /**
     * Protect the anchors' keys and certificates from deletion and replacement (outside dev).
     * Replacing an anchor by accident breaks every workload certificate in the mesh.
     */
    protectTrustAnchors?: boolean;
    /** Tags for the Key Vault secrets. */
    tags?: Record<string, string>;
}

interface AnchorSlotResources {
    key: tls.PrivateKey;
    cert: tls.SelfSignedCert;
    keySecret: keyvault.Secret;
}

const PEM = "application/x-pem-file";

export class MeshPki extends pulumi.ComponentResource {
    /** The active anchor certificate (public). */
    readonly trustAnchorPem: pulumi.Output<string>;
    /** Every trusted anchor certificate, active first: what proxies and the identity controller trust. */
    readonly trustBundlePem: pulumi.Output<string>;
    /** The issuer certificate (public). */
    readonly issuerCertPem: pulumi.Output<string>;
    /** The issuer private key (a Pulumi secret). */
    readonly issuerKeyPem: pulumi.Output<string>;
    /** When the issuer expires (RFC 3339); it is re-issued `issuerRenewBeforeDays` earlier. */
    readonly issuerNotAfter: pulumi.Output<string>;
    /** Key Vault secret names holding each trusted anchor's private key. */
    readonly anchorKeySecretNames: Partial<Record<TrustAnchorSlot, string>>;
    readonly activeAnchor: TrustAnchorSlot;
    /** The Linkerd identity trust domain the certificates are issued for (the control plane's `identityTrustDomain`). */
    readonly trustDomain: string;

    constructor(name: string, args: MeshPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:mesh:MeshPki", name, {}, opts);
        validate(args);
        const trustDomain = args.trustDomain ?? "cluster.local";
        this.trustDomain = trustDomain;
        const active = args.anchors?.active ?? "blue";
        const slots: TrustAnchorSlot[] = [active, ...(args.anchors?.alsoTrusted ? [args.anchors.alsoTrusted] : [])];
        const protect = args.protectTrustAnchors ?? true;

        const anchors = new Map<TrustAnchorSlot, AnchorSlotResources>();
        this.anchorKeySecretNames = {};
        for (const slot of slots) {
            const slotOpts: pulumi.CustomResourceOptions = { parent: this, protect };
            const key = new tls.PrivateKey(`${name}-anchor-${slot}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, slotOpts);
            const cert = new tls.SelfSignedCert(
                `${name}-anchor-${slot}`,
                {
                    privateKeyPem: pulumi.secret(key.privateKeyPem),
                    isCaCertificate: true,
                    maxPathLength: 1,
                    setSubjectKeyId: true,
                    subject: { commonName: `root.linkerd.${trustDomain}`, organization: "amlmesh", organizationalUnit: `trust anchor ${slot}` },
                    dnsNames: [`root.linkerd.${trustDomain}`],
                    validityPeriodHours: args.anchorValidityDays * 24,
                    // No early renewal: a new anchor must be rolled out by the rotation procedure,
                    // never by an ordinary `pulumi up`.
                    allowedUses: ["cert_signing", "crl_signing"],
                },
                slotOpts,
            );
            const secretName = `linkerd-trust-anchor-${slot}-key`;
            const tags = { ...args.tags, purpose: "linkerd-trust-anchor", slot };
            const keySecret = new keyvault.Secret(
                `${name}-anchor-${slot}-key`,
                {
                    vaultName: args.keyVault.name,
                    resourceGroupName: args.keyVault.resourceGroupName,
                    secretName,
                    properties: { value: pulumi.secret(key.privateKeyPem), contentType: PEM },
                    tags,
                },
                { parent: this, protect, additionalSecretOutputs: ["properties"] },
            );
            new keyvault.Secret(
                `${name}-anchor-${slot}-crt`,
                {
                    vaultName: args.keyVault.name,
                    resourceGroupName: args.keyVault.resourceGroupName,
                    secretName: `linkerd-trust-anchor-${slot}-crt`,
                    properties: { value: cert.certPem, contentType: PEM },
                    tags,
                },
                { parent: this },
            );
            anchors.set(slot, { key, cert, keySecret });
            this.anchorKeySecretNames[slot] = secretName;
        }
        const signer = anchors.get(active)!;

        const issuerKey = new tls.PrivateKey(`${name}-issuer-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const request = new tls.CertRequest(
            `${name}-issuer`,
            {
                privateKeyPem: pulumi.secret(issuerKey.privateKeyPem),
                subject: { commonName: `identity.linkerd.${trustDomain}`, organization: "amlmesh" },
                dnsNames: [`identity.linkerd.${trustDomain}`],
            },
            { parent: this },
        );
        const issuer = new tls.LocallySignedCert(
            `${name}-issuer`,
            {
                certRequestPem: request.certRequestPem,
                caPrivateKeyPem: pulumi.secret(signer.key.privateKeyPem),
                caCertPem: signer.cert.certPem,
                isCaCertificate: true,
                setSubjectKeyId: true,
                validityPeriodHours: args.issuerValidityDays * 24,
                earlyRenewalHours: args.issuerRenewBeforeDays * 24,
                allowedUses: ["cert_signing", "crl_signing"],
            },
            { parent: this },
        );

        this.activeAnchor = active;
        this.trustAnchorPem = signer.cert.certPem;
        this.trustBundlePem = pulumi
            .all(slots.map((slot) => anchors.get(slot)!.cert.certPem))
            .apply((pems) => pems.map((pem) => pem.trim()).join("\n") + "\n");
        this.issuerCertPem = issuer.certPem;
        this.issuerKeyPem = pulumi.secret(issuerKey.privateKeyPem);
        this.issuerNotAfter = issuer.validityEndTime;

        this.registerOutputs({
            trustAnchorPem: this.trustAnchorPem,
            trustBundlePem: this.trustBundlePem,
            issuerCertPem: this.issuerCertPem,
            issuerKeyPem: this.issuerKeyPem,
            issuerNotAfter: this.issuerNotAfter,
        });
    }
}

function validate(args: MeshPkiArgs): void {
    const whole = (what: string, value: number) => {
        if (!Number.isInteger(value) || value < 1) throw new Error(`MeshPki: ${what} must be a positive whole number of days, got ${value}`);
    };
    whole("anchorValidityDays", args.anchorValidityDays);
    whole("issuerValidityDays", args.issuerValidityDays);
    whole("issuerRenewBeforeDays", args.issuerRenewBeforeDays);
    if (args.issuerRenewBeforeDays >= args.issuerValidityDays) {
        throw new Error(`MeshPki: issuerRenewBeforeDays (${args.issuerRenewBeforeDays}) must be below issuerValidityDays (${args.issuerValidityDays})`);
    }
    if (args.issuerValidityDays > args.anchorValidityDays) {
        throw new Error(`MeshPki: the issuer (${args.issuerValidityDays} days) cannot outlive the trust anchor (${args.anchorValidityDays} days)`);
    }
    const active = args.anchors?.active ?? "blue";
    if (args.anchors?.alsoTrusted === active) {
        throw new Error(`MeshPki: anchors.alsoTrusted must name the other slot than the active one (${active})`);
    }
}
