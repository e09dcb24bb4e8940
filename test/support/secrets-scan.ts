/**
 * Finds private key material that is not a Pulumi secret: in resource inputs (Helm values,
 * ConfigMaps, custom resources, anything) and in outputs. A key inside a secret is fine; the
 * same key in plain text would be written unencrypted to the state and shown in previews.
 */
import * as assert from "node:assert/strict";
import type { CapturedResource } from "../../offline/document";
import { isWireSecret, unwrapWire } from "../../offline/wire";

/** PEM private keys of any kind (PKCS#8, EC, RSA, encrypted, OpenSSH). */
export const PRIVATE_KEY_PEM = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;

export interface PlainKeyFinding {
    urn: string;
    /** Dotted path to the value. */
    path: string;
}

/** Every place a private key appears outside a secret, in the given wire value. */
export function plainPrivateKeys(value: unknown, where = ""): string[] {
    if (isWireSecret(value)) return [];
    if (typeof value === "string") return PRIVATE_KEY_PEM.test(value) ? [where || "(root)"] : [];
    if (Array.isArray(value)) return value.flatMap((item, i) => plainPrivateKeys(item, `${where}[${i}]`));
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([key, inner]) => plainPrivateKeys(inner, where ? `${where}.${key}` : key));
    }
    return [];
}

/** Scans the inputs of every captured resource. */
export function findPlainPrivateKeys(resources: readonly CapturedResource[]): PlainKeyFinding[] {
    return resources.flatMap((resource) => plainPrivateKeys(resource.inputs).map((path) => ({ urn: resource.urn, path })));
}

/** True when a private key occurs anywhere in the value, secret or not (to prove a scan saw it). */
export function containsPrivateKey(value: unknown): boolean {
    if (typeof value === "string") return PRIVATE_KEY_PEM.test(value);
    if (Array.isArray(value)) return value.some(containsPrivateKey);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsPrivateKey);
    return false;
}

/**
 * No private key among the inputs of `resources` is outside a secret, and the scan saw at least
 * one (secret) key, so it would have seen a leaked one.
 */
export function assertNoPlainPrivateKeys(resources: readonly CapturedResource[]): void {
    assert.deepEqual(findPlainPrivateKeys(resources), []);
    assert.ok(
        resources.some((resource) => containsPrivateKey(unwrapWire(resource.inputs))),
        "the scan saw the (secret) keys, so it would see a leaked one",
    );
}
