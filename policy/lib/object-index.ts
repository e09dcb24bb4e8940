/**
 * Cross-references between Kubernetes objects in a stack (a route naming a Policy, an
 * AuthorizationPolicy targeting a Server). A reference resolves by namespace and name when both
 * are known; during preview, names computed from other resources' outputs are unknown, and the
 * reference then resolves through the referring property's dependencies, which name the
 * referenced resources by URN.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { StackView } from "./define";
import { metadataOf, namespaceOfObject } from "./kube";
import { knownString, UNKNOWN, type Unknown } from "./values";

export interface ObjectReference {
    name: string | Unknown | undefined;
    namespace: string | Unknown;
}

/** Kubernetes objects of some kinds, indexed by `namespace/name` where known. */
export class ObjectIndex {
    private readonly byKey = new Map<string, PolicyResource[]>();
    private readonly byNamespace = new Map<string, PolicyResource[]>();
    private readonly members: Set<PolicyResource>;

    constructor(readonly objects: readonly PolicyResource[]) {
        this.members = new Set(objects);
        for (const object of objects) {
            const namespace = namespaceOf(object);
            if (typeof namespace === "string") addTo(this.byNamespace, namespace, object);
            const key = keyOf(object);
            if (key) addTo(this.byKey, key, object);
        }
    }

    has(resource: PolicyResource): boolean {
        return this.members.has(resource);
    }

    /**
     * The objects a reference from `from` points to. `dependencyProperty` is the top-level input
     * of `from` that carries the reference (usually `spec`; `metadata` for annotations).
     */
    resolve(stack: StackView, from: PolicyResource, reference: ObjectReference, dependencyProperty: string): PolicyResource[] {
        if (typeof reference.name === "string" && typeof reference.namespace === "string") {
            return this.byKey.get(`${reference.namespace}/${reference.name}`) ?? [];
        }
        if (reference.name === undefined) return [];
        return stack.dependenciesOf(from, dependencyProperty).filter((dependency) => this.has(dependency));
    }

    /** All indexed objects in a namespace, in index order. */
    inNamespace(namespace: string): PolicyResource[] {
        return [...(this.byNamespace.get(namespace) ?? [])];
    }
}

function addTo(map: Map<string, PolicyResource[]>, key: string, object: PolicyResource): void {
    const list = map.get(key);
    if (list) list.push(object);
    else map.set(key, [object]);
}

/** A `namespace/name` reference, or a bare name (or an unknown one) in `defaultNamespace`. */
export function parseReference(text: string | Unknown, defaultNamespace: string | Unknown): ObjectReference {
    if (typeof text !== "string" || !text.includes("/")) return { namespace: defaultNamespace, name: text };
    const [namespace, name] = text.split("/");
    return { namespace, name };
}

/** The namespace an object lives in, `default` when unset, or UNKNOWN. */
export function namespaceOf(resource: PolicyResource): string | Unknown {
    return namespaceOfObject(metadataOf(resource));
}

export function nameOf(resource: PolicyResource): string | Unknown | undefined {
    const metadata = metadataOf(resource);
    return metadata ? knownString(metadata, "name") : undefined;
}

function keyOf(resource: PolicyResource): string | undefined {
    const namespace = namespaceOf(resource);
    const name = nameOf(resource);
    return typeof namespace === "string" && typeof name === "string" ? `${namespace}/${name}` : undefined;
}

/** Human-readable `namespace/name` (with `?` for parts unknown during preview). */
export function displayName(resource: PolicyResource): string {
    const namespace = namespaceOf(resource);
    const name = nameOf(resource);
    return `${namespace === UNKNOWN ? "?" : namespace}/${typeof name === "string" ? name : resource.name}`;
}
