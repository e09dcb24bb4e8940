/**
 * Workloads: containers run unprivileged, read-only, non-root, with limits, from pinned images
 * in allowed registries.
 */
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { resourcePolicy, type AmlmeshPolicy } from "../lib/define";
import { describeContainer, forEachContainer, parseImage, registryAllowed, type NamedContainer, type PodTemplate } from "../lib/kube";
import { WORKLOAD_TYPES, type PropsByType, type WorkloadType } from "../lib/resource-types";
import { DEFAULT_ALLOWED_REGISTRIES, registrySchema, stringListSetting } from "../lib/settings";

/** Runs a check on every container (init containers included) of a workload's pod template. */
function checkEachContainer(check: (named: NamedContainer, pod: PodTemplate, report: (message: string) => void, args: ResourceValidationArgs) => void) {
    return (props: PropsByType[WorkloadType], args: ResourceValidationArgs, reportViolation: ReportViolation): void =>
        forEachContainer(args.type, props, (named, template) => check(named, template, (message) => reportViolation(`${describeContainer(named)}: ${message}`), args));
}

const securityContext = resourcePolicy({
    name: "workload-security-context",
    description: "Containers run as non-root with a read-only root filesystem, no privilege escalation and not privileged.",
    category: "workloads",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, " +
        "privileged: false, capabilities: { drop: ['ALL'] } } on every container (runAsNonRoot may sit on the pod); mount an " +
        "emptyDir for paths the process writes.",
    controls: { soc2: ["CC6.8"], hipaa: ["164.312(c)(1)"] },
    resourceTypes: WORKLOAD_TYPES,
    validate: checkEachContainer(({ container }, pod, report) => {
        const context = container.securityContext;
        const runAsNonRoot = context?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot;
        const runAsUser = context?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
        if (runAsNonRoot !== true) report("runAsNonRoot is not true (container or pod securityContext).");
        if (runAsUser === 0) report("runAsUser is 0 (root).");
        if (context?.readOnlyRootFilesystem !== true) report("readOnlyRootFilesystem is not true.");
        if (context?.allowPrivilegeEscalation !== false) report("allowPrivilegeEscalation is not false.");
        if (context?.privileged === true) report("privileged is true.");
    }),
});

const resourceLimits = resourcePolicy({
    name: "workload-resource-limits",
    description: "Containers declare CPU and memory limits, so one workload cannot starve the node.",
    category: "workloads",
    severity: "medium",
    enforcementLevel: "mandatory",
    remediationSteps: "Set resources.limits.cpu and resources.limits.memory (and matching requests) on every container.",
    controls: { soc2: ["A1.1", "CC6.8"], hipaa: [] },
    resourceTypes: WORKLOAD_TYPES,
    validate: checkEachContainer(({ container }, _pod, report) => {
        const limits = container.resources?.limits ?? {};
        const missing = ["cpu", "memory"].filter((resource) => limits[resource] === undefined);
        if (missing.length > 0) report(`no ${missing.join(" or ")} limit.`);
    }),
});

const imageTagPinned = resourcePolicy({
    name: "workload-image-tag-pinned",
    description: "Container images name an explicit version: a tag other than 'latest', or a digest.",
    category: "workloads",
    severity: "medium",
    enforcementLevel: "mandatory",
    remediationSteps: "Reference images as registry/repository:<version> (pinned in one visible place), never without a tag or with ':latest'.",
    controls: { soc2: ["CC8.1"], hipaa: ["164.312(c)(1)"] },
    resourceTypes: WORKLOAD_TYPES,
    validate: checkEachContainer(({ container }, _pod, report) => {
        if (!container.image) return report("no image.");
        const image = parseImage(container.image);
        if (image.digest) return;
        if (!image.tag) report(`image ${container.image} has no tag (resolves to 'latest').`);
        else if (image.tag === "latest") report(`image ${container.image} uses the mutable tag 'latest'.`);
    }),
});

const imageDigestPinned = resourcePolicy({
    name: "workload-image-digest-pinned",
    description: "Container images are pinned by digest (@sha256:...), so a re-pushed tag cannot change what runs. Advisory.",
    category: "workloads",
    severity: "low",
    enforcementLevel: "advisory",
    remediationSteps: "Append the digest the CI build produced: registry/repository:1.2.3@sha256:<digest>.",
    controls: { soc2: ["CC8.1"], hipaa: ["164.312(c)(1)"] },
    resourceTypes: WORKLOAD_TYPES,
    validate: checkEachContainer(({ container }, _pod, report) => {
        if (container.image && !parseImage(container.image).digest) report(`image ${container.image} is not pinned by digest.`);
    }),
});

const imageRegistryAllowed = resourcePolicy({
    name: "workload-image-registry-allowed",
    description: "Container images come from an allowed registry (the platform's Azure Container Registry and vetted vendor registries).",
    category: "workloads",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: "Import the image into the platform registry (az acr import) and reference it there, or add the vendor registry to allowedRegistries.",
    controls: { soc2: ["CC6.8", "CC8.1"], hipaa: ["164.312(c)(1)"] },
    configSchema: registrySchema,
    resourceTypes: WORKLOAD_TYPES,
    validate: checkEachContainer(({ container }, _pod, report, args) => {
        if (!container.image) return;
        const allowed = stringListSetting(args.getConfig(), "allowedRegistries", DEFAULT_ALLOWED_REGISTRIES);
        const image = parseImage(container.image);
        if (!registryAllowed(image, allowed)) report(`image ${container.image} is from ${image.registry}, which is not in allowedRegistries (${allowed.join(", ")}).`);
    }),
});

export const workloadPolicies: AmlmeshPolicy[] = [securityContext, resourceLimits, imageTagPinned, imageDigestPinned, imageRegistryAllowed];
