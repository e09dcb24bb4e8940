/**
 * `npm run image:pin -- --stack <env> [--digest sha256:<hex>]`: the edge authorizer's delivery.
 *
 * On the deploy runner (inside the hub VNet) it builds the image from the repository root, logs
 * in to the hub registry with the runner's Entra identity (`az acr login`, no admin user), pushes
 * through the registry's private endpoint, and writes the pushed digest into
 * `stacks/Pulumi.<env>.yaml` (`edge.authorizer.digest`). With `--digest` it only writes (a CI
 * job that built and pushed by other means). Pods then run exactly that build, by digest.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { isMap, parseDocument, type Scalar } from "yaml";
import { EDGE_AUTHORIZER_IMAGE } from "../components/versions";
import { parseStackConfig } from "../infra/config";
import { platformNames } from "../infra/naming";
import { readStackConfigFiles } from "../offline/stack-files";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** The commands that build and push the authorizer to a registry, in order. */
export function buildCommands(registry: string): string[][] {
    const reference = `${registry}.azurecr.io/${EDGE_AUTHORIZER_IMAGE.repository}:${EDGE_AUTHORIZER_IMAGE.tag}`;
    return [
        ["az", "acr", "login", "--name", registry],
        ["docker", "build", "--file", "services/edge-authorizer/Dockerfile", "--tag", reference, "."],
        ["docker", "push", reference],
        ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", reference],
    ];
}

/** The digest `docker image inspect` reports for the pushed repository. */
export function digestFromRepoDigests(inspectOutput: string, repository: string): string {
    const digests = JSON.parse(inspectOutput) as string[];
    const found = digests.find((entry) => entry.startsWith(`${repository}@`));
    const digest = found?.slice(found.indexOf("@") + 1);
    if (!digest || !DIGEST.test(digest)) throw new Error(`no pushed digest for ${repository} in ${inspectOutput.trim()}`);
    return digest;
}

/**
 * Sets `amlmesh:edge.authorizer.digest` in a stack file's text. Only that value changes (a
 * YAML round trip would reformat the whole file), and the placeholder note on its line goes.
 */
export function withAuthorizerDigest(stackFileText: string, digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`expected a digest sha256:<64 hex digits>, got ${digest}`);
    const document = parseDocument(stackFileText, { keepSourceTokens: false });
    const authorizer = document.getIn(["config", "amlmesh:edge", "authorizer"], true);
    if (!isMap(authorizer) || !authorizer.range) throw new Error("the stack file has no amlmesh:edge.authorizer section; add `authorizer: { digest: <digest> }` under amlmesh:edge");
    const current = authorizer.get("digest", true) as Scalar | undefined;
    let text: string;
    if (current?.range) {
        text = stackFileText.slice(0, current.range[0]) + digest + stackFileText.slice(current.range[1]);
    } else if (authorizer.flow) {
        const close = stackFileText.lastIndexOf("}", authorizer.range[1]);
        const empty = authorizer.items.length === 0;
        text = `${stackFileText.slice(0, close).trimEnd()}${empty ? "" : ","} digest: ${digest} ${stackFileText.slice(close)}`;
    } else {
        throw new Error("amlmesh:edge.authorizer is a block mapping without digest; add `digest: <digest>` to it");
    }
    // The line that now holds the digest loses its placeholder note.
    return text
        .split("\n")
        .map((line) => (line.includes(digest) ? line.replace(/\s+# PLACEHOLDER:.*$/, "") : line))
        .join("\n");
}

function main(): void {
    const { values } = parseArgs({ options: { stack: { type: "string", default: "dev" }, digest: { type: "string" } }, strict: true });
    const stack = values.stack;
    const files = readStackConfigFiles(PROJECT_ROOT, stack);
    const config = parseStackConfig(files.config);
    const registry = platformNames(config).bootstrap.registry;
    let digest = values.digest;
    if (!digest) {
        let output = "";
        for (const command of buildCommands(registry)) {
            process.stderr.write(`$ ${command.join(" ")}\n`);
            output = execFileSync(command[0], command.slice(1), { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
        }
        digest = digestFromRepoDigests(output, `${registry}.azurecr.io/${EDGE_AUTHORIZER_IMAGE.repository}`);
    }
    const file = path.resolve(PROJECT_ROOT, files.stackFile);
    const updated = withAuthorizerDigest(readFileSync(file, "utf8"), digest);
    writeFileSync(file, updated);
    // Refuse to leave a stack file the program would not load.
    parseStackConfig(readStackConfigFiles(PROJECT_ROOT, stack).config);
    process.stdout.write(`${files.stackFile}: edge.authorizer.digest = ${digest}\n`);
}

if (require.main === module) {
    try {
        main();
    } catch (error) {
        process.stderr.write(`image:pin: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    }
}
