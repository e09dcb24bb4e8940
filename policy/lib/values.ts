/**
 * Reading resource properties the way the policy engine hands them over. During `pulumi preview`
 * the engine wraps properties in a proxy that throws `UnknownValueError` when a rule touches a
 * value that is not known yet; left alone, that turns the whole policy into an advisory "can't
 * run during preview" note. Rules that can still decide (from property dependencies, or because
 * an unknown value cannot be a literal secret) read through `known()` instead.
 */
import * as policySdk from "@pulumi/policy";

/** Marks a value that is computed during preview and therefore not known yet. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

// `@pulumi/policy` exports the class at run time, but its typings omit it (marked @internal).
const UnknownValueError = Reflect.get(policySdk, "UnknownValueError") as unknown;
if (typeof UnknownValueError !== "function") {
    throw new Error("@pulumi/policy no longer exports UnknownValueError; check the pinned version (1.21.0)");
}

export function isUnknownValueError(error: unknown): boolean {
    return error instanceof (UnknownValueError as new () => Error);
}

/** Runs a read; an unknown value yields `UNKNOWN` instead of aborting the policy. */
export function known<T>(read: () => T): T | Unknown {
    try {
        return read();
    } catch (error) {
        if (isUnknownValueError(error)) return UNKNOWN;
        throw error;
    }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The string at `record[key]`, `UNKNOWN`, or undefined when absent or not a string. */
export function knownString(record: unknown, key: string): string | Unknown | undefined {
    if (!isRecord(record)) return undefined;
    const value = known(() => record[key]);
    return value === UNKNOWN || typeof value === "string" ? value : undefined;
}

/**
 * The known elements of the array at `record[key]` (objects still proxied), `UNKNOWN` when the
 * array itself is unknown, or an empty list. Unknown elements are left out.
 */
export function knownArray(record: unknown, key: string): unknown[] | Unknown {
    if (!isRecord(record)) return [];
    const value = known(() => record[key]);
    if (value === UNKNOWN) return UNKNOWN;
    if (!Array.isArray(value)) return [];
    const elements: unknown[] = [];
    for (let index = 0; index < value.length; index++) {
        const element = known(() => value[index]);
        if (element !== UNKNOWN) elements.push(element);
    }
    return elements;
}

/** The object at `record[key]`, `UNKNOWN`, or undefined. */
export function knownRecord(record: unknown, key: string): Record<string, unknown> | Unknown | undefined {
    if (!isRecord(record)) return undefined;
    const value = known(() => record[key]);
    if (value === UNKNOWN) return UNKNOWN;
    return isRecord(value) ? value : undefined;
}

/**
 * Visits every leaf of a property tree with its path, skipping unknown values (they cannot be
 * literals) instead of throwing.
 */
export function visitLeaves(root: unknown, visit: (path: string[], value: unknown) => void, path: string[] = []): void {
    if (Array.isArray(root)) {
        for (let index = 0; index < root.length; index++) {
            const item = known(() => root[index]);
            if (item !== UNKNOWN) visitLeaves(item, visit, [...path, String(index)]);
        }
        return;
    }
    if (isRecord(root)) {
        for (const key of Object.keys(root)) {
            const item = known(() => root[key]);
            if (item !== UNKNOWN) visitLeaves(item, visit, [...path, key]);
        }
        return;
    }
    visit(path, root);
}

/** Case-insensitive equality for Azure enum strings (`Disabled`, `disabled`). */
export function sameText(value: unknown, expected: string): boolean {
    return typeof value === "string" && value.toLowerCase() === expected.toLowerCase();
}
