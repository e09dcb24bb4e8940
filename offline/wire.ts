/**
 * Helpers for property values in Pulumi's RPC wire format: secrets are objects carrying the
 * secret signature, unknown values (computed during preview) are a sentinel string, and
 * resource references carry the resource signature. The constants are the SDK's own.
 */
import { specialResourceSig, specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { SECRET_MASK, UNKNOWN_MASK } from "./document";

type WireObject = Record<string, unknown>;

/** A plain object (not null, not an array). */
export function isObject(value: unknown): value is WireObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value wrapped in the secret signature object, as the engine passes secrets. */
export function wireSecret(value: unknown): WireObject {
    return { [specialSigKey]: specialSecretSig, value };
}

export function isWireSecret(value: unknown): value is { value?: unknown } {
    return isObject(value) && value[specialSigKey] === specialSecretSig;
}

export function isWireUnknown(value: unknown): boolean {
    return value === unknownValue;
}

export function isWireResourceReference(value: unknown): value is { urn: string; id?: unknown } {
    return isObject(value) && value[specialSigKey] === specialResourceSig;
}

/** Plain JavaScript value with every secret unwrapped (for assertions and policy inputs). */
export function unwrapWire(value: unknown): unknown {
    if (isWireSecret(value)) return unwrapWire(value.value);
    if (isWireResourceReference(value)) return value.urn;
    if (Array.isArray(value)) return value.map(unwrapWire);
    if (isObject(value)) {
        const out: WireObject = {};
        for (const [key, inner] of Object.entries(value)) out[key] = unwrapWire(inner);
        return out;
    }
    return value;
}

/** Printable value: secrets become SECRET_MASK, unknowns UNKNOWN_MASK, references their URN. */
export function maskWire(value: unknown): unknown {
    if (isWireSecret(value)) return SECRET_MASK;
    if (isWireUnknown(value)) return UNKNOWN_MASK;
    if (isWireResourceReference(value)) return value.urn;
    if (Array.isArray(value)) return value.map(maskWire);
    if (isObject(value)) {
        const out: WireObject = {};
        for (const [key, inner] of Object.entries(value)) out[key] = maskWire(inner);
        return out;
    }
    return value;
}

/**
 * The value at a path, secrets unwrapped, and whether a secret was crossed on the way. The path
 * is dotted (`spec.tls.secret`, `containers[0].image`) or, for keys that contain dots such as
 * annotations, an array of segments.
 */
export function valueAtPath(root: unknown, path: string | (string | number)[]): { found: boolean; secret: boolean; value: unknown; raw: unknown } {
    let current = root;
    let secret = false;
    for (const segment of typeof path === "string" ? splitPath(path) : path) {
        if (isWireSecret(current)) {
            secret = true;
            current = current.value;
        }
        if (typeof segment === "number" ? !Array.isArray(current) : !isObject(current)) return { found: false, secret, value: undefined, raw: undefined };
        current = (current as Record<string | number, unknown>)[segment];
        if (current === undefined) return { found: false, secret, value: undefined, raw: undefined };
    }
    const raw = current;
    if (isWireSecret(current)) {
        secret = true;
        current = current.value;
    }
    return { found: true, secret, value: unwrapWire(current), raw };
}

/** True when the value, or anything inside it, is a secret. */
export function containsSecret(value: unknown): boolean {
    if (isWireSecret(value)) return true;
    if (Array.isArray(value)) return value.some(containsSecret);
    if (isObject(value)) return Object.values(value).some(containsSecret);
    return false;
}

function splitPath(path: string): (string | number)[] {
    const segments: (string | number)[] = [];
    for (const part of path.split(".")) {
        const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
        if (!match) throw new Error(`bad property path ${path}`);
        if (match[1]) segments.push(match[1]);
        for (const index of match[2].matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
    }
    return segments;
}
