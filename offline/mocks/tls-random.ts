/**
 * Mock outputs for `tls` and `random`. Private keys are real (generated per run, P-256 is
 * cheap) so that secret-handling tests look for real PEM material; certificates are clearly
 * fake PEM blocks with the right validity fields.
 *
 * The engine marks the provider's secret outputs (`additionalSecretOutputs`) as secrets; the
 * SDK's mock monitor does not, so the key material is returned already wrapped as a secret.
 * A program that copies a key somewhere unsecret is then caught the way it would be in a
 * real deployment's state.
 */
import { generateKeyPairSync } from "node:crypto";
import { wireSecret } from "../wire";
import { deterministicSuffix, deterministicUuid } from "./identifiers";
import type { ResourceMock } from "./types";

const FIXED_NOW = Date.parse("2026-01-01T00:00:00Z");

function fakeCertificate(seed: string): string {
    const body = Buffer.from(`offline certificate ${seed}`).toString("base64");
    return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

function validity(inputs: Record<string, unknown>) {
    const hours = Number(inputs.validityPeriodHours ?? 24);
    return {
        validityStartTime: new Date(FIXED_NOW).toISOString(),
        validityEndTime: new Date(FIXED_NOW + hours * 3_600_000).toISOString(),
        readyForRenewal: false,
    };
}

export const tlsMock: ResourceMock = (args) => {
    const seed = `${args.type}:${args.name}`;
    switch (args.type) {
        case "tls:index/privateKey:PrivateKey": {
            const { privateKey, publicKey } =
                args.inputs.algorithm === "RSA"
                    ? generateKeyPairSync("rsa", { modulusLength: Number(args.inputs.rsaBits ?? 2048) })
                    : generateKeyPairSync("ec", { namedCurve: "P-256" });
            const pkcs8Pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
            return {
                id: deterministicSuffix(seed, 40),
                state: {
                    ...args.inputs,
                    privateKeyPem: wireSecret(pkcs8Pem),
                    privateKeyPemPkcs8: wireSecret(pkcs8Pem),
                    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
                },
            };
        }
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { id: deterministicUuid(seed), state: { ...args.inputs, certPem: fakeCertificate(seed), ...validity(args.inputs) } };
        case "tls:index/certRequest:CertRequest":
            return {
                id: deterministicUuid(seed),
                state: { ...args.inputs, certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(seed).toString("base64")}\n-----END CERTIFICATE REQUEST-----\n` },
            };
        default:
            return { id: deterministicUuid(seed), state: { ...args.inputs } };
    }
};

export const randomMock: ResourceMock = (args) => {
    const seed = `${args.type}:${args.name}`;
    switch (args.type) {
        case "random:index/randomUuid:RandomUuid":
            return { id: deterministicUuid(seed), state: { ...args.inputs, result: deterministicUuid(seed) } };
        case "random:index/randomString:RandomString":
        case "random:index/randomPassword:RandomPassword": {
            const length = Number(args.inputs.length ?? 16);
            const result = deterministicSuffix(seed, Math.min(length, 40)).padEnd(length, "0");
            return { id: result, state: { ...args.inputs, result } };
        }
        case "random:index/randomId:RandomId": {
            const hex = deterministicSuffix(seed, Number(args.inputs.byteLength ?? 4) * 2);
            return { id: hex, state: { ...args.inputs, hex, dec: BigInt(`0x${hex}`).toString(), b64Url: Buffer.from(hex, "hex").toString("base64url") } };
        }
        default:
            return { id: deterministicUuid(seed), state: { ...args.inputs } };
    }
};
