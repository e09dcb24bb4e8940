/**
 * A serving certificate for an in-cluster HTTPS upstream the edge proxies to (the Azure ML
 * inference router, which refuses plain HTTP with `allowInsecureConnections: "False"`).
 *
 * The upstream is authenticated to NGINX by its Linkerd identity, not by this certificate (NGINX
 * does not verify upstream certificates; the mesh authorization admits only the ingress), so a
 * self-signed ECDSA P-256 certificate is enough. It is short-lived and re-issued by any
 * `pulumi up` inside its renewal window; the private key is a Pulumi secret and reaches only the
 * Secret in the upstream's namespace.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { assertKubernetesName, PLATFORM_LABELS, type NamespaceHandle } from "@amlmesh/team-sdk/kit/mesh/types";

export interface UpstreamCertificateArgs {
    /** Namespace of the upstream; the Secret is created there. */
    namespace: NamespaceHandle;
    /** Name of the Secret the upstream reads its certificate from. */
    secretName: string;
    /** DNS names on the certificate (the first is also the subject CN). */
    dnsNames: string[];
    /** Secret keys of the PEM files, e.g. `{ certificate: "cert.pem", privateKey: "key.pem" }`. */
    files: { certificate: string; privateKey: string };
    /** Lifetime of the certificate, in days. */
    validityDays: number;
    /** `pulumi up` re-issues the certificate once fewer than this many days remain. */
    renewBeforeDays: number;
}

export class UpstreamCertificate extends pulumi.ComponentResource {
    readonly secret: k8s.core.v1.Secret;
    /** The certificate (public). */
    readonly certificatePem: pulumi.Output<string>;

    constructor(name: string, args: UpstreamCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:edge:UpstreamCertificate", name, {}, opts);
        assertKubernetesName("UpstreamCertificate secretName", args.secretName);
        if (args.dnsNames.length === 0) throw new Error(`UpstreamCertificate ${name}: at least one DNS name is required`);
        if (args.renewBeforeDays >= args.validityDays) {
            throw new Error(`UpstreamCertificate ${name}: renewBeforeDays (${args.renewBeforeDays}) must be below validityDays (${args.validityDays})`);
        }

        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this, additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] });
        const certificate = new tls.SelfSignedCert(
            `${name}-cert`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: args.dnsNames[0], organization: "amlmesh" },
                dnsNames: args.dnsNames,
                validityPeriodHours: args.validityDays * 24,
                earlyRenewalHours: args.renewBeforeDays * 24,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                isCaCertificate: false,
            },
            { parent: this },
        );
        this.certificatePem = certificate.certPem;

        this.secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: {
                    name: args.secretName,
                    namespace: args.namespace.name,
                    labels: { ...PLATFORM_LABELS, "app.kubernetes.io/component": "upstream-certificate" },
                },
                type: "Opaque",
                stringData: {
                    [args.files.certificate]: certificate.certPem,
                    [args.files.privateKey]: pulumi.secret(key.privateKeyPem),
                },
            },
            { parent: this, dependsOn: args.namespace.ready },
        );
        this.registerOutputs({ secretName: args.secretName, certificatePem: this.certificatePem });
    }
}
