/**
 * `npm run preflight:webhooks -- --stack <env> <kubectl JSON files…>`: which admission webhooks
 * the Azure ML extension serves from the `azureml` namespace, read from a live cluster, and
 * whether the stack's `ml.extensionWebhooks` admits the API server on each of them.
 *
 * The extension documents neither the pods nor the ports of its webhooks, so they are read from
 * the cluster: the webhook configurations name a Service and port, the Service names the pods
 * (its selector) and the container port (its targetPort). Input is what
 *   kubectl get mutatingwebhookconfigurations,validatingwebhookconfigurations -o json
 *   kubectl get services -n azureml -o json
 * print (Kubernetes `List` documents, or single objects). It prints the entries the stack needs
 * and exits 1 when the stack misses one, so it can run before and after an extension upgrade.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { AZUREML_EXTENSION_NAMESPACE } from "../components/azure/ml-kubernetes-compute";
import { parseStackConfig, type StackConfig } from "../infra/config";
import { readStackConfigFiles } from "../offline/stack-files";

const PROJECT_ROOT = path.resolve(__dirname, "..");

// Only the fields read here (admissionregistration.k8s.io/v1 and core/v1); others pass through.
const serviceReference = z.looseObject({ namespace: z.string(), name: z.string(), port: z.int().optional() });
const webhookConfiguration = z.looseObject({
    kind: z.enum(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]),
    metadata: z.looseObject({ name: z.string() }),
    webhooks: z
        .array(
            z.looseObject({
                name: z.string(),
                clientConfig: z.looseObject({ service: serviceReference.optional(), url: z.string().optional() }),
                failurePolicy: z.enum(["Fail", "Ignore"]).optional(),
            }),
        )
        .default([]),
});
const service = z.looseObject({
    kind: z.literal("Service"),
    metadata: z.looseObject({ name: z.string(), namespace: z.string() }),
    spec: z.looseObject({
        selector: z.record(z.string(), z.string()).optional(),
        ports: z.array(z.looseObject({ port: z.int(), targetPort: z.union([z.int(), z.string()]).optional() })).default([]),
    }),
});
const document = z.looseObject({ kind: z.string(), items: z.array(z.unknown()).optional() });

export type ExtensionWebhookEntry = StackConfig["ml"]["extensionWebhooks"][number];

export interface WebhookFinding {
    /** `<configuration>/<webhook>` as the API server names it in its errors. */
    webhook: string;
    failurePolicy: "Fail" | "Ignore";
    /** The entry that admits it, or why none can be derived. */
    entry?: ExtensionWebhookEntry;
    problem?: string;
}

/** Every object in the documents (List items flattened). */
function objectsOf(documents: unknown[]): unknown[] {
    return documents.flatMap((raw) => {
        const parsed = document.parse(raw);
        return parsed.items ?? [raw];
    });
}

/**
 * The extension's webhooks (those whose Service is in `azureml`) and the config entry each needs:
 * the Service's selector as the pods, its targetPort for the webhook's port as the port.
 */
export function extensionWebhooks(documents: unknown[], namespace = AZUREML_EXTENSION_NAMESPACE): WebhookFinding[] {
    const objects = objectsOf(documents);
    const configurations = objects.filter((o) => /WebhookConfiguration$/.test(document.parse(o).kind)).map((o) => webhookConfiguration.parse(o));
    const services = new Map(
        objects
            .filter((o) => document.parse(o).kind === "Service")
            .map((o) => service.parse(o))
            .filter((s) => s.metadata.namespace === namespace)
            .map((s) => [s.metadata.name, s]),
    );
    const findings: WebhookFinding[] = [];
    for (const configuration of configurations) {
        for (const webhook of configuration.webhooks) {
            const reference = webhook.clientConfig.service;
            if (!reference || reference.namespace !== namespace) continue;
            const finding: WebhookFinding = { webhook: `${configuration.metadata.name}/${webhook.name}`, failurePolicy: webhook.failurePolicy ?? "Fail" };
            findings.push(finding);
            const target = services.get(reference.name);
            const servicePort = reference.port ?? 443;
            if (!target) {
                finding.problem = `Service ${namespace}/${reference.name} is not in the input (add: kubectl get services -n ${namespace} -o json)`;
                continue;
            }
            const selector = target.spec.selector ?? {};
            if (Object.keys(selector).length === 0) {
                finding.problem = `Service ${namespace}/${reference.name} has no selector, so its pods cannot be named; admit it by hand`;
                continue;
            }
            const port = target.spec.ports.find((candidate) => candidate.port === servicePort);
            if (!port) {
                finding.problem = `Service ${namespace}/${reference.name} has no port ${servicePort}`;
                continue;
            }
            finding.entry = { name: reference.name, podSelector: { ...selector }, port: port.targetPort ?? port.port };
        }
    }
    return findings;
}

const entryKey = (entry: ExtensionWebhookEntry) => JSON.stringify([Object.entries(entry.podSelector).sort(), entry.port]);

/** The entries the stack needs, once each (several webhooks often share one Service). */
export function neededEntries(findings: WebhookFinding[]): ExtensionWebhookEntry[] {
    const byKey = new Map<string, ExtensionWebhookEntry>();
    for (const finding of findings) if (finding.entry && !byKey.has(entryKey(finding.entry))) byKey.set(entryKey(finding.entry), finding.entry);
    return [...byKey.values()];
}

export interface WebhookReport {
    text: string;
    /** Webhooks the stack does not admit (or whose entry cannot be derived). */
    missing: string[];
}

/** Compares the cluster's webhooks with the stack's entries (same pods and port; names may differ). */
export function compareWithStack(findings: WebhookFinding[], configured: ExtensionWebhookEntry[]): WebhookReport {
    const admitted = new Set(configured.map(entryKey));
    const lines: string[] = [];
    const missing: string[] = [];
    for (const finding of findings) {
        const failing = finding.failurePolicy === "Fail" ? "fails closed" : "ignored on failure";
        if (!finding.entry) {
            missing.push(finding.webhook);
            lines.push(`[FAIL] ${finding.webhook} (${failing}): ${finding.problem}`);
        } else if (admitted.has(entryKey(finding.entry))) {
            lines.push(`[ok  ] ${finding.webhook} (${failing}): admitted as ${finding.entry.name}`);
        } else {
            missing.push(finding.webhook);
            lines.push(`[FAIL] ${finding.webhook} (${failing}): not in ml.extensionWebhooks; the API server's calls are refused by the mesh`);
        }
    }
    if (findings.length === 0) lines.push(`no webhook configuration calls a Service in ${AZUREML_EXTENSION_NAMESPACE}`);
    const needed = neededEntries(findings);
    if (missing.length > 0 && needed.length > 0) {
        lines.push("", "stack file, under `amlmesh:ml`:", `  extensionWebhooks: ${JSON.stringify(needed)}`);
    }
    return { text: lines.join("\n"), missing };
}

function main(): number {
    const { values, positionals } = parseArgs({ options: { stack: { type: "string", default: "dev" } }, allowPositionals: true, strict: true });
    if (positionals.length === 0) {
        process.stderr.write(
            "usage: npm run preflight:webhooks -- --stack <env> <file.json>…\n" +
                "  files: kubectl get mutatingwebhookconfigurations,validatingwebhookconfigurations -o json; kubectl get services -n azureml -o json\n",
        );
        return 2;
    }
    const config = parseStackConfig(readStackConfigFiles(PROJECT_ROOT, values.stack).config);
    const findings = extensionWebhooks(positionals.map((file) => JSON.parse(readFileSync(file, "utf8")) as unknown));
    const report = compareWithStack(findings, config.ml.extensionWebhooks);
    process.stdout.write(`${report.text}\n`);
    return report.missing.length > 0 ? 1 : 0;
}

if (require.main === module) {
    try {
        process.exitCode = main();
    } catch (error) {
        process.stderr.write(`preflight:webhooks: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 2;
    }
}
