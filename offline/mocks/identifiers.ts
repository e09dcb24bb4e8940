/**
 * Deterministic stand-ins for the identifiers Azure and Entra ID would assign, so the offline
 * plan prints the same document on every run and tests can predict values.
 */
import { createHash } from "node:crypto";
import { uuidV5 } from "../../components/entra/uuid";

/** Namespace of the offline stand-ins, so they never collide with the program's own derived IDs. */
const OFFLINE_UUID_NAMESPACE = "3f9a6c1e-7d2b-4c8e-9b0a-5e4d3c2b1a0f";

/** A GUID derived from a seed (name-based, RFC 4122 version 5). */
export function deterministicUuid(seed: string): string {
    return uuidV5(seed, OFFLINE_UUID_NAMESPACE);
}

/** A short lower-case hex suffix, like the one Pulumi auto-naming appends. */
export function deterministicSuffix(seed: string, length = 7): string {
    return createHash("sha1").update(`suffix:${seed}`).digest("hex").slice(0, length);
}

/** The subscription every offline resource lives in. */
export const OFFLINE_SUBSCRIPTION_ID = deterministicUuid("subscription");

/** Object ID of the offline deployer (the identity running `pulumi up`), a CI service principal. */
export const OFFLINE_DEPLOYER_OBJECT_ID = deterministicUuid("deployer-object");
