/**
 * The AKS cluster attached to the Azure ML workspace as Kubernetes compute (for online
 * inference): the `Microsoft.AzureML.Kubernetes` cluster extension, pinned, with its inference
 * router (`azureml-fe`) behind a ClusterIP service so only the NGINX edge fronts it, HTTPS only;
 * and the `Kubernetes` compute bound to a namespace that must already exist.
 *
 * Local accounts are disabled, so Azure ML reaches the cluster through AKS Trusted Access. Azure
 * ML creates the `Microsoft.MachineLearningServices/workspaces/mlworkload` role binding itself
 * when the compute is attached (Azure/AML-Kubernetes `docs/azureml-aks-ta-support.md`, current
 * since July 2024; the older preview text asked users to create it). The program therefore makes
 * none: a binding of its own would be a second one beside Azure ML's, and a compute attached
 * right after a new binding (which takes minutes to act) is one of the targets that doc says
 * do not work.
 */
import * as kubernetesconfiguration from "@pulumi/azure-native/kubernetesconfiguration";
import * as machinelearningservices from "@pulumi/azure-native/machinelearningservices";
import * as pulumi from "@pulumi/pulumi";
import { AZUREML_EXTENSION_VERSION } from "../versions";
import type { AzureContext } from "./context";
import { systemIdentityPrincipal, type Principal } from "./principal";

export const AZUREML_EXTENSION_TYPE = "Microsoft.AzureML.Kubernetes";
/** Trusted Access role Azure ML binds for the workspace when the compute is attached. */
export const AZUREML_TRUSTED_ACCESS_ROLE = "Microsoft.MachineLearningServices/workspaces/mlworkload";
/** Namespace the extension installs into (fixed by the extension). */
export const AZUREML_EXTENSION_NAMESPACE = "azureml";
/**
 * The inference server port of Kubernetes online deployments (Azure/AML-Kubernetes,
 * docs/inference-byoc.md: scoring, liveness and readiness routes all on 5001).
 */
export const AZUREML_MODEL_SCORING_PORT = 5001;

/** A Kubernetes namespace that exists before something is deployed into it. */
export interface MlNamespace {
    name: string;
    resource: pulumi.Resource;
}

/** Where the inference router lives inside the cluster: what the edge proxies to. */
export interface InferenceRouter {
    namespace: string;
    /** Service of the router (`azureml-fe`). */
    serviceName: string;
    /** HTTPS port of the service. */
    port: number;
    scheme: "https";
    /** ServiceAccount of the router pods (`azureml-fe-v2`): its mesh identity. */
    serviceAccount: string;
    /** Labels of the router pods. */
    podSelector: Record<string, string>;
    /**
     * Port the router reaches model pods on: the Azure ML inference server's scoring, liveness
     * and readiness port in Kubernetes online deployments (5001).
     */
    modelScoringPort: number;
    /** Secret (in `namespace`) holding `cert.pem` and `key.pem` the router serves. */
    tlsSecretName: string;
    /** Host name the router's certificate is issued for (`sslCname`). */
    tlsHostName: string;
}

export interface MlKubernetesComputeArgs {
    context: AzureContext;
    cluster: { id: pulumi.Input<string>; name: pulumi.Input<string> };
    workspace: { id: pulumi.Input<string>; name: pulumi.Input<string> };
    /** Namespace Azure ML deploys into; it must exist before the compute is attached. */
    namespace: MlNamespace;
    /** Azure ML compute name (2-16 characters). */
    computeName: string;
    /** Name of the cluster extension resource. */
    extensionName?: string;
    /**
     * Inference router settings. `tls.secretName` must exist in the `azureml` namespace with
     * `cert.pem`/`key.pem` before the router can start: pass what creates it (and the
     * namespace) as `extensionPrerequisites`.
     */
    inference: { highAvailability: boolean; tls: { secretName: string; hostName: string } };
    /** Resources the extension installs after: its namespace (meshed) and the router's TLS Secret. */
    extensionPrerequisites?: pulumi.Resource[];
    /** Also run training jobs on the cluster (default false: training uses the compute cluster). */
    enableTraining?: boolean;
}

export class MlKubernetesCompute extends pulumi.ComponentResource {
    readonly extension: kubernetesconfiguration.Extension;
    readonly compute: machinelearningservices.Compute;
    /** System identity of the Kubernetes compute: pulls model images and reads model files. */
    readonly identity: Principal;
    readonly inferenceRouter: InferenceRouter;

    constructor(name: string, args: MlKubernetesComputeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("amlmesh:azure:MlKubernetesCompute", name, {}, opts);
        const { context } = args;
        const tls = args.inference.tls;
        const bool = (value: boolean) => (value ? "True" : "False");

        this.extension = new kubernetesconfiguration.Extension(
            `${name}-extension`,
            {
                resourceGroupName: context.resourceGroupName,
                clusterRp: "Microsoft.ContainerService",
                clusterResourceName: "managedClusters",
                clusterName: args.cluster.name,
                extensionName: args.extensionName ?? "azureml",
                extensionType: AZUREML_EXTENSION_TYPE,
                version: AZUREML_EXTENSION_VERSION,
                autoUpgradeMinorVersion: false,
                releaseTrain: "Stable",
                scope: { cluster: { releaseNamespace: AZUREML_EXTENSION_NAMESPACE } },
                configurationSettings: {
                    enableTraining: bool(args.enableTraining ?? false),
                    enableInference: "True",
                    // Only the NGINX edge (inside the cluster) reaches the router: no load balancer.
                    inferenceRouterServiceType: "clusterIP",
                    inferenceRouterHA: bool(args.inference.highAvailability),
                    // HTTPS only, with the certificate from the named secret.
                    allowInsecureConnections: "False",
                    sslSecret: tls.secretName,
                    sslCname: tls.hostName,
                    installNvidiaDevicePlugin: "False",
                    installDcgmExporter: "False",
                },
            },
            { parent: this, dependsOn: args.extensionPrerequisites ?? [] },
        );

        this.compute = new machinelearningservices.Compute(
            `${name}-compute`,
            {
                resourceGroupName: context.resourceGroupName,
                location: context.location,
                tags: context.tags,
                workspaceName: args.workspace.name,
                computeName: args.computeName,
                identity: { type: "SystemAssigned" },
                properties: {
                    computeType: "Kubernetes",
                    resourceId: args.cluster.id,
                    description: `AKS inference compute (namespace ${args.namespace.name})`,
                    disableLocalAuth: true,
                    properties: { namespace: args.namespace.name },
                },
            },
            // Attach only once the extension runs and the namespace exists; attaching makes Azure ML's Trusted Access binding.
            { parent: this, dependsOn: [this.extension, args.namespace.resource] },
        );
        this.identity = systemIdentityPrincipal(`Kubernetes compute ${args.computeName}`, this.compute.identity, "ml-kubernetes-compute");

        this.inferenceRouter = {
            namespace: AZUREML_EXTENSION_NAMESPACE,
            serviceName: "azureml-fe",
            port: 443,
            scheme: "https",
            serviceAccount: "azureml-fe-v2",
            podSelector: { azuremlappname: "azureml-fe" },
            modelScoringPort: AZUREML_MODEL_SCORING_PORT,
            tlsSecretName: tls.secretName,
            tlsHostName: tls.hostName,
        };

        this.registerOutputs({ computeId: this.compute.id, extensionId: this.extension.id });
    }
}
