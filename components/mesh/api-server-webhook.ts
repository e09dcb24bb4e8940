/**
 * An admission webhook served from a meshed pod. The Kubernetes API server is outside the mesh
 * and presents no mesh identity, so under `deny` or `all-authenticated` its calls are refused
 * unless the webhook's port admits it by network. Linkerd does the same for its own extensions'
 * webhooks (linkerd2@edge-26.6.3, `viz/charts/linkerd-viz/templates/tap-injector-policy.yaml`): a
 * Server on the webhook port with `proxyProtocol: TLS` (the API server speaks TLS to the webhook
 * itself), an AuthorizationPolicy, and a NetworkAuthentication for `0.0.0.0/0` and `::/0`, because
 * the addresses the API server's calls come from cannot be discovered from inside the cluster.
 *
 * The grant is per port and per pod selector: no other port of those pods, and no other pod,
 * gains anything.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assertKubernetesName, childName, PLATFORM_LABELS, type NamespaceHandle } from "@amlmesh/team-sdk/kit/mesh/types";

/** Every address, both families: where API server calls may come from (Linkerd's own choice for its webhooks). */
export const ANY_NETWORK: readonly string[] = ["0.0.0.0/0", "::/0"];

export interface ApiServerWebhookArgs {
    /** Namespace of the webhook's pods. */
    namespace: NamespaceHandle;
    /** Labels of the webhook's pods (the webhook Service's selector). Must not be empty. */
    podSelector: Record<string, string>;
    /** Container port number or name the webhook serves on (the Service's targetPort). */
    port: number | string;
}

export class ApiServerWebhook extends pulumi.ComponentResource {
    readonly server: k8s.apiextensions.CustomResource;
    readonly policy: k8s.apiextensions.CustomResource;

    constructor(name: string, args: ApiServerWebhookArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:mesh:ApiServerWebhook", name, {}, opts);
        assertKubernetesName("ApiServerWebhook name", name);
        // An empty selector would open the port on every pod of the namespace to every address.
        if (Object.keys(args.podSelector).length === 0) throw new Error(`ApiServerWebhook ${name}: podSelector must name the webhook's pods`);
        const namespace = args.namespace.name;
        const labels = { ...PLATFORM_LABELS };
        const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: [...args.namespace.ready] };
        const object = (resourceName: string, kind: string, apiVersion: string, objectName: string, spec: Record<string, unknown>, after: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(
                resourceName,
                { apiVersion: `policy.linkerd.io/${apiVersion}`, kind, metadata: { name: objectName, namespace, labels }, spec },
                { ...childOpts, dependsOn: [...args.namespace.ready, ...after] },
            );

        this.server = object(`${name}-server`, "Server", "v1beta3", name, {
            podSelector: { matchLabels: { ...args.podSelector } },
            port: args.port,
            proxyProtocol: "TLS",
            accessPolicy: "deny",
        });
        const networksName = childName(name, "api-server");
        const networks = object(`${name}-api-server`, "NetworkAuthentication", "v1alpha1", networksName, {
            networks: ANY_NETWORK.map((cidr) => ({ cidr })),
        });
        this.policy = object(
            `${name}-policy`,
            "AuthorizationPolicy",
            "v1alpha1",
            name,
            {
                targetRef: { group: "policy.linkerd.io", kind: "Server", name },
                requiredAuthenticationRefs: [{ group: "policy.linkerd.io", kind: "NetworkAuthentication", name: networksName }],
            },
            [this.server, networks],
        );
        this.registerOutputs({ serverName: name, namespace, port: args.port });
    }
}
