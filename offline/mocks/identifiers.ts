/**
 * Deterministic stand-ins for the identifiers Azure and Entra ID would assign, so the offline
 * plan prints the same document on every run and tests can predict values.
 */
import { createHash } from "node:crypto";

/** A GUID derived from a seed (name-based, RFC 4122 version 5 layout). */
export function deterministicUuid(seed: string): string {
    const bytes = createHash("sha1").update(`amlmesh-offline:${seed}`).digest().subarray(0, 16);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A short lower-case hex suffix, like the one Pulumi auto-naming appends. */
export function deterministicSuffix(seed: string, length = 7): string {
    return createHash("sha1").update(`suffix:${seed}`).digest("hex").slice(0, length);
}

/** The subscription every offline resource lives in. */
export const OFFLINE_SUBSCRIPTION_ID = deterministicUuid("subscription");

/** Object ID of the offline deployer (the identity running `pulumi up`), a CI service principal. */
export const OFFLINE_DEPLOYER_OBJECT_ID = deterministicUuid("deployer-object");
