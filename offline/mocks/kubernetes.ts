/**
 * Mock outputs for `kubernetes` resources: metadata as the API server fills it in, Services
 * with cluster IPs, Helm releases reported as deployed, manifest components (`yaml/v2`)
 * with the objects they would have applied left empty (they are fetched only at deploy time).
 */
import { deterministicSuffix, deterministicUuid } from "./identifiers";
import type { ResourceMock } from "./types";

interface ObjectMeta {
    name?: string;
    namespace?: string;
    [key: string]: unknown;
}

const CLUSTER_SCOPED =
    /:(Namespace|NamespacePatch|CustomResourceDefinition|ClusterRole|ClusterRoleBinding|StorageClass|PriorityClass|IngressClass|ValidatingWebhookConfiguration|MutatingWebhookConfiguration)$/;

export const kubernetesMock: ResourceMock = (args) => {
    const seed = `${args.type}:${args.name}`;
    if (args.type.startsWith("pulumi:providers:")) return { id: deterministicUuid(seed), state: args.inputs };
    if (args.type === "kubernetes:helm.sh/v3:Release") {
        const name = String(args.inputs.name ?? `${args.name}-${deterministicSuffix(seed, 8)}`);
        const namespace = String(args.inputs.namespace ?? "default");
        return {
            id: `${namespace}/${name}`,
            state: { ...args.inputs, name, status: { name, namespace, chart: args.inputs.chart, version: args.inputs.version, status: "deployed", revision: 1 } },
        };
    }
    if (args.type.startsWith("kubernetes:yaml/v2:")) return { id: deterministicUuid(seed), state: { ...args.inputs, resources: [] } };
    const given = (args.inputs.metadata ?? {}) as ObjectMeta;
    const name = given.name ?? `${args.name}-${deterministicSuffix(seed, 8)}`;
    const clusterScoped = CLUSTER_SCOPED.test(args.type);
    const namespace = clusterScoped ? undefined : (given.namespace ?? "default");
    const metadata = { ...given, name, ...(namespace ? { namespace } : {}), uid: deterministicUuid(`uid:${seed}`), resourceVersion: "1" };
    const state: Record<string, unknown> = { ...args.inputs, metadata };
    if (args.type === "kubernetes:core/v1:Service") {
        const spec = (args.inputs.spec ?? {}) as Record<string, unknown>;
        const hash = deterministicUuid(`ip:${seed}`).replace(/-/g, "");
        state.spec = { ...spec, clusterIP: `10.0.${parseInt(hash.slice(0, 2), 16)}.${parseInt(hash.slice(2, 4), 16) || 1}` };
    }
    return { id: namespace ? `${namespace}/${name}` : name, state };
};
