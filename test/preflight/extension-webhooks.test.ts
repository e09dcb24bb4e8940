/**
 * The webhook diagnostic over kubectl-shaped input: what it derives, that the entries it prints
 * are valid stack config, and that with them the evaluated stack admits the API server on exactly
 * the webhook pods and ports it read.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseStackConfig } from "../../infra/config";
import { compareWithStack, extensionWebhooks, neededEntries } from "../../preflight/extension-webhooks";
import { editConfig, PROJECT_ROOT, runStack, shippedStackConfig } from "../harness";
import { meshGrants } from "../support/mesh-grants";

// The shapes `kubectl get … -o json` prints (admissionregistration.k8s.io/v1, core/v1). The
// names are made up: the extension publishes none.
const webhookConfigurations = {
    apiVersion: "v1",
    kind: "List",
    items: [
        {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "MutatingWebhookConfiguration",
            metadata: { name: "identity-webhook" },
            webhooks: [
                { name: "pod.mutate.identity-webhook", clientConfig: { service: { namespace: "azureml", name: "identity-svc", path: "/mutate", port: 443 }, caBundle: "LS0t" }, failurePolicy: "Fail", sideEffects: "None", admissionReviewVersions: ["v1"] },
                { name: "deploy.mutate.identity-webhook", clientConfig: { service: { namespace: "azureml", name: "identity-svc", path: "/mutate-deploy" } }, sideEffects: "None", admissionReviewVersions: ["v1"] },
            ],
        },
        {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingWebhookConfiguration",
            metadata: { name: "jobs-admission" },
            webhooks: [{ name: "validate.jobs", clientConfig: { service: { namespace: "azureml", name: "jobs-admission", port: 8443 } }, failurePolicy: "Ignore", sideEffects: "None", admissionReviewVersions: ["v1"] }],
        },
        {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingWebhookConfiguration",
            metadata: { name: "linkerd-sp-validator-webhook-config" },
            webhooks: [{ name: "linkerd-sp-validator.linkerd.io", clientConfig: { service: { namespace: "linkerd", name: "linkerd-sp-validator" } }, sideEffects: "None", admissionReviewVersions: ["v1"] }],
        },
    ],
};
const services = {
    apiVersion: "v1",
    kind: "List",
    items: [
        { apiVersion: "v1", kind: "Service", metadata: { name: "identity-svc", namespace: "azureml" }, spec: { selector: { app: "identity-webhook" }, ports: [{ port: 443, targetPort: 9443, protocol: "TCP" }] } },
        { apiVersion: "v1", kind: "Service", metadata: { name: "jobs-admission", namespace: "azureml" }, spec: { selector: { app: "jobs-admission" }, ports: [{ port: 8443, targetPort: "webhook" }] } },
    ],
};

describe("preflight:webhooks", () => {
    const findings = extensionWebhooks([webhookConfigurations, services]);

    it("reads each extension webhook's pods and container port from its Service, and ignores other namespaces' webhooks", () => {
        assert.deepEqual(
            findings.map((finding) => [finding.webhook, finding.failurePolicy, finding.entry]),
            [
                ["identity-webhook/pod.mutate.identity-webhook", "Fail", { name: "identity-svc", podSelector: { app: "identity-webhook" }, port: 9443 }],
                ["identity-webhook/deploy.mutate.identity-webhook", "Fail", { name: "identity-svc", podSelector: { app: "identity-webhook" }, port: 9443 }],
                ["jobs-admission/validate.jobs", "Ignore", { name: "jobs-admission", podSelector: { app: "jobs-admission" }, port: "webhook" }],
            ],
        );
        assert.equal(neededEntries(findings).length, 2, "one entry per Service port");
    });

    it("names what it cannot derive: a Service missing from the input, without a selector, or without the port", () => {
        const bare = extensionWebhooks([webhookConfigurations]);
        assert.match(bare[0].problem ?? "", /identity-svc is not in the input/);
        const noSelector = extensionWebhooks([webhookConfigurations, { ...services.items[0], spec: { ports: [{ port: 443 }] } }]);
        assert.match(noSelector[0].problem ?? "", /has no selector/);
        const otherPort = extensionWebhooks([webhookConfigurations, { ...services.items[1], spec: { selector: { app: "x" }, ports: [{ port: 9000 }] } }]);
        assert.match(otherPort.find((f) => f.webhook.startsWith("jobs"))?.problem ?? "", /has no port 8443/);
    });

    it("fails for a stack that does not list them, and passes once the printed entries are in the stack file", async () => {
        const shipped = parseStackConfig(shippedStackConfig("prod"));
        const before = compareWithStack(findings, shipped.ml.extensionWebhooks);
        assert.deepEqual(before.missing, findings.map((finding) => finding.webhook));
        const printed = /extensionWebhooks: (.*)$/m.exec(before.text)?.[1];
        assert.ok(printed, before.text);
        const raw = editConfig(shippedStackConfig("prod"), "amlmesh:ml", (ml) => ({ ...(ml as object), extensionWebhooks: JSON.parse(printed) as unknown }));
        const config = parseStackConfig(raw);
        assert.deepEqual(compareWithStack(findings, config.ml.extensionWebhooks).missing, []);
        // And the program admits exactly those pods and ports from any address.
        const admitted = meshGrants(await runStack("prod", raw)).filter((grant) => grant.clients.includes("net:0.0.0.0/0"));
        assert.deepEqual(
            admitted.map((grant) => [grant.namespace, grant.podSelector, grant.port]),
            [
                ["azureml", { matchLabels: { app: "identity-webhook" } }, 9443],
                ["azureml", { matchLabels: { app: "jobs-admission" } }, "webhook"],
            ],
        );
    }).timeout(60_000);

    it("runs as a command: exit 1 and the entries to add for the shipped dev stack", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "webhooks-"));
        const files = [path.join(dir, "webhooks.json"), path.join(dir, "services.json")];
        writeFileSync(files[0], JSON.stringify(webhookConfigurations));
        writeFileSync(files[1], JSON.stringify(services));
        let status = 0;
        let stdout = "";
        try {
            execFileSync(process.execPath, ["--import", "tsx", "preflight/extension-webhooks.ts", "--stack", "dev", ...files], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: "pipe" });
        } catch (error) {
            const failed = error as { status: number; stdout: string };
            status = failed.status;
            stdout = failed.stdout;
        }
        assert.equal(status, 1);
        assert.match(stdout, /\[FAIL\] identity-webhook\/pod\.mutate\.identity-webhook \(fails closed\): not in ml\.extensionWebhooks/);
        assert.match(stdout, /extensionWebhooks: \[\{"name":"identity-svc"/);
    }).timeout(60_000);
});
