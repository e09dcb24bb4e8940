/**
 * Name-based UUIDs (RFC 4122 version 5, SHA-1). App role IDs must never change once a role
 * exists (Entra refuses to delete an enabled role), so they are derived from stable names
 * rather than drawn at random.
 */
import { createHash } from "node:crypto";

/** Namespace of every UUID amlmesh derives (itself a random v4 UUID, fixed forever). */
export const AMLMESH_UUID_NAMESPACE = "8c2f1d6e-4b7a-4e9c-a3d5-1f0e6b9c7a24";

export function uuidV5(name: string, namespace: string = AMLMESH_UUID_NAMESPACE): string {
    const namespaceBytes = Buffer.from(namespace.replace(/-/g, ""), "hex");
    if (namespaceBytes.length !== 16) throw new Error(`uuidV5: namespace ${namespace} is not a UUID`);
    const bytes = createHash("sha1").update(namespaceBytes).update(name, "utf8").digest().subarray(0, 16);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
