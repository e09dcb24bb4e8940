/**
 * Every chart, image and extension version the platform deploys, pinned in one place.
 * Upgrading one is a one-line change here, reviewed like code; nothing floats (`latest`,
 * version ranges, auto-upgrading minor versions).
 */

// --- Mesh and edge (charts and images on the cluster) -------------------------------------

/**
 * Gateway API CRDs (standard channel), installed from the upstream release manifest before
 * Linkerd. Linkerd 2.20 supports Gateway API 1.2.1–1.5.1; the copy bundled in `linkerd-crds`
 * (`installGatewayAPI: true`) is v1.1.1 experimental, outside that range, so it stays off.
 */
const GATEWAY_API_VERSION = "v1.5.1";
const GATEWAY_API_CHANNEL = "standard";
export const GATEWAY_API = {
    version: GATEWAY_API_VERSION,
    channel: GATEWAY_API_CHANNEL,
    manifestUrl: `https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/${GATEWAY_API_CHANNEL}-install.yaml`,
} as const;

/** Linkerd 2.20 (`edge-26.6.3`): the CRD chart, then the control plane, same chart version. */
export const LINKERD = {
    repository: "https://helm.linkerd.io/edge",
    crdsChart: "linkerd-crds",
    controlPlaneChart: "linkerd-control-plane",
    chartVersion: "2026.6.3",
    /** Image tag of the controller and proxy images (`linkerdVersion` in the chart values). */
    version: "edge-26.6.3",
} as const;

/** F5 NGINX Ingress Controller, open-source edition (never the retired community ingress-nginx). */
export const NGINX_INGRESS = {
    chart: "oci://ghcr.io/nginx/charts/nginx-ingress",
    chartVersion: "2.6.4",
    image: { repository: "nginx/nginx-ingress", tag: "5.5.4" },
} as const;

/**
 * The edge authorizer (services/edge-authorizer), built on the deploy runner into the bootstrap
 * hub's registry as `<hub registry>/edge-authorizer:<tag>` (`npm run image:pin`); pods run it by
 * the digest the stack file pins (`edge.authorizer.digest`). The tag is the service's
 * package.json version (a test keeps the two equal); a stack may name another build with
 * `edge.authorizer.image`.
 */
export const EDGE_AUTHORIZER_IMAGE = { repository: "edge-authorizer", tag: "0.1.0" } as const;

// --- Azure (cluster extensions) -----------------------------------------------------------

/**
 * The Azure ML cluster extension (`Microsoft.AzureML.Kubernetes`) on AKS. Pinned with
 * `autoUpgradeMinorVersion: false`; list what a cluster can take with
 * `az k8s-extension extension-types list-versions-by-cluster --cluster-type managedClusters
 * --extension-type Microsoft.AzureML.Kubernetes -g <rg> -c <cluster>` before bumping.
 * NOTE: chosen offline, without access to the extension-types API; confirm it is still offered
 * in the target region before the first deploy.
 */
export const AZUREML_EXTENSION_VERSION = "1.1.64";

// --- Kubernetes (AKS) ---------------------------------------------------------------------

/**
 * AKS's Kubernetes release calendar: when each minor version reached general availability on
 * AKS and the last day of its standard (community) support, after which it is in platform
 * support only (no Kubernetes fixes, no new clusters). Source: Microsoft Learn, "Supported
 * Kubernetes versions in AKS", release calendar, read 2026-12-06 ("Mar 2027" there means
 * 2027-03-31). Add the next minor here when AKS announces it. Config validation refuses a version
 * past its end of standard support and warns in the 60 days before.
 */
export const AKS_KUBERNETES_CALENDAR: Readonly<Record<string, { readonly aksGa: string; readonly endOfStandardSupport: string }>> = {
    "1.32": { aksGa: "2025-04", endOfStandardSupport: "2026-03-31" },
    "1.33": { aksGa: "2025-06", endOfStandardSupport: "2026-07-31" },
    "1.34": { aksGa: "2025-11", endOfStandardSupport: "2026-11-30" },
    "1.35": { aksGa: "2026-03", endOfStandardSupport: "2027-03-31" },
    "1.36": { aksGa: "2026-06", endOfStandardSupport: "2027-06-30" },
    "1.37": { aksGa: "2026-10", endOfStandardSupport: "2027-10-31" },
};

/**
 * The Kubernetes minors every component pinned above is tested on, and so the only ones a stack
 * may run. Bump with the components:
 * - Linkerd edge-26.6.3: charts declare `kubeVersion: ">=1.31.0-0"`; its integration CI runs
 *   1.31 to 1.35 (`.github/workflows/integration.yml` at the tag).
 * - F5 NGINX Ingress Controller 5.5.4: tested on 1.29 to 1.36 (its compatibility matrix).
 * - Azure ML extension: supports what AKS supports (N-2), so the calendar above bounds it.
 */
export const KUBERNETES_TESTED_RANGE = {
    min: "1.31",
    max: "1.35",
    limitedBy: "Linkerd edge-26.6.3 is tested on 1.31 to 1.35; F5 NGINX Ingress Controller 5.5.4 on 1.29 to 1.36",
} as const;
