/**
 * Serving certificates of Linkerd's three admission webhooks (proxy injector, service-profile
 * validator, policy validator), made here instead of by the chart.
 *
 * Left to itself, `linkerd-control-plane` generates a self-signed certificate per webhook on
 * every render (`genSelfSignedCert ... 365`): it expires a year after the last Helm upgrade,
 * and since the webhooks fail closed, no pod starts in a meshed namespace after that; and as
 * each render makes a new one, every values change rolls the control plane. With
 * `<webhook>.externalSecret: true` the chart reads the certificates from Secrets of fixed names
 * and takes the CA from `<webhook>.caBundle`; cert-manager is not part of the platform, so
 * Pulumi issues them:
 *
 * - one CA (ECDSA P-256) for the three webhooks: its certificate is the `caBundle` the API
 *   server checks against, so it changes only when the CA itself is renewed;
 * - one leaf per webhook, for `<service>.<namespace>.svc`, signed by that CA, re-issued by any
 *   `pulumi up` inside its renewal window (`earlyRenewalHours`); the Secret changes, the
 *   `caBundle` does not. The Go webhooks (injector, SP validator) reload their certificate
 *   files; the policy validator runs in the destination pod, which the Linkerd component rolls
 *   on a new certificate through a checksum annotation.
 *
 * Private keys are Pulumi secrets and reach only the `kubernetes.io/tls` Secrets.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { PLATFORM_LABELS } from "@amlmesh/team-sdk/kit/mesh/types";

/** The webhooks of linkerd-control-plane: chart values key, Service name, Secret the chart mounts. */
export const LINKERD_WEBHOOKS = [
    { valuesKey: "proxyInjector", service: "linkerd-proxy-injector", secretName: "linkerd-proxy-injector-k8s-tls", component: "proxy-injector" },
    { valuesKey: "profileValidator", service: "linkerd-sp-validator", secretName: "linkerd-sp-validator-k8s-tls", component: "destination" },
    { valuesKey: "policyValidator", service: "linkerd-policy-validator", secretName: "linkerd-policy-validator-k8s-tls", component: "destination" },
] as const;
export type LinkerdWebhook = (typeof LINKERD_WEBHOOKS)[number];

/** Lifetimes, in days. A leaf renewal must fit well inside the monthly `pulumi up` the README asks for. */
export interface WebhookCertificateLifetimes {
    caValidityDays: number;
    caRenewBeforeDays: number;
    leafValidityDays: number;
    leafRenewBeforeDays: number;
}

export const DEFAULT_WEBHOOK_CERTIFICATE_LIFETIMES: WebhookCertificateLifetimes = {
    caValidityDays: 3650,
    caRenewBeforeDays: 365,
    leafValidityDays: 365,
    leafRenewBeforeDays: 90,
};

export interface LinkerdWebhookCertificatesArgs {
    /** The control plane namespace (the Secrets go there, the DNS names name it). */
    namespace: string;
    /** What must exist before the Secrets (the namespace). */
    after: pulumi.Resource[];
    lifetimes?: WebhookCertificateLifetimes;
}

export class LinkerdWebhookCertificates extends pulumi.ComponentResource {
    /** The CA certificate every webhook's `caBundle` names (public). */
    readonly caBundlePem: pulumi.Output<string>;
    readonly secrets: k8s.core.v1.Secret[];
    /** SHA-256 over the leaf certificates the policy validator serves, to roll its pods on a new one. */
    readonly destinationCertificatesSha256: pulumi.Output<string>;

    constructor(name: string, args: LinkerdWebhookCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:mesh:LinkerdWebhookCertificates", name, {}, opts);
        const lifetimes = args.lifetimes ?? DEFAULT_WEBHOOK_CERTIFICATE_LIFETIMES;
        if (lifetimes.caRenewBeforeDays >= lifetimes.caValidityDays || lifetimes.leafRenewBeforeDays >= lifetimes.leafValidityDays) {
            throw new Error(`LinkerdWebhookCertificates ${name}: a renewal window must be shorter than the lifetime it renews`);
        }
        if (lifetimes.leafValidityDays > lifetimes.caValidityDays - lifetimes.caRenewBeforeDays) {
            throw new Error(`LinkerdWebhookCertificates ${name}: a leaf must not outlive the CA that signed it`);
        }
        const secretKeyOutputs = { additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] };

        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this, ...secretKeyOutputs });
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                subject: { commonName: `webhook-ca.${args.namespace}`, organization: "amlmesh" },
                isCaCertificate: true,
                validityPeriodHours: lifetimes.caValidityDays * 24,
                earlyRenewalHours: lifetimes.caRenewBeforeDays * 24,
                allowedUses: ["cert_signing", "crl_signing"],
            },
            { parent: this },
        );
        this.caBundlePem = ca.certPem;

        const leaves = LINKERD_WEBHOOKS.map((webhook) => {
            const host = `${webhook.service}.${args.namespace}.svc`;
            const key = new tls.PrivateKey(`${name}-${webhook.service}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this, ...secretKeyOutputs });
            const request = new tls.CertRequest(
                `${name}-${webhook.service}-csr`,
                { privateKeyPem: key.privateKeyPem, subject: { commonName: host }, dnsNames: [host] },
                { parent: this },
            );
            const certificate = new tls.LocallySignedCert(
                `${name}-${webhook.service}-cert`,
                {
                    certRequestPem: request.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: ca.certPem,
                    validityPeriodHours: lifetimes.leafValidityDays * 24,
                    earlyRenewalHours: lifetimes.leafRenewBeforeDays * 24,
                    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                    isCaCertificate: false,
                },
                { parent: this },
            );
            const secret = new k8s.core.v1.Secret(
                `${name}-${webhook.service}`,
                {
                    metadata: {
                        name: webhook.secretName,
                        namespace: args.namespace,
                        labels: { ...PLATFORM_LABELS, "linkerd.io/control-plane-component": webhook.component, "linkerd.io/control-plane-ns": args.namespace },
                    },
                    type: "kubernetes.io/tls",
                    stringData: { "tls.crt": certificate.certPem, "tls.key": pulumi.secret(key.privateKeyPem) },
                },
                { parent: this, dependsOn: args.after },
            );
            return { webhook, certificate, secret };
        });
        this.secrets = leaves.map((leaf) => leaf.secret);
        this.destinationCertificatesSha256 = pulumi
            .all(leaves.filter((leaf) => leaf.webhook.component === "destination").map((leaf) => leaf.certificate.certPem))
            .apply((pems) => createHash("sha256").update(pems.join("")).digest("hex"));

        this.registerOutputs({ caBundlePem: this.caBundlePem });
    }
}

/** Chart values that make each webhook use its Secret and this CA instead of a generated pair. */
export function externalWebhookValues(caBundlePem: pulumi.Input<string>): Record<LinkerdWebhook["valuesKey"], { externalSecret: true; caBundle: pulumi.Input<string> }> {
    const entry = { externalSecret: true as const, caBundle: caBundlePem };
    return { proxyInjector: entry, profileValidator: { ...entry }, policyValidator: { ...entry } };
}
