/**
 * `npm run sdk:pack -- --out <dir>`: the team SDK as an npm tarball a TypeScript team installs by
 * a pinned reference (a release asset of a tag, or a private feed). In the repository the package
 * points at its TypeScript sources (the platform and the offline plan load them through tsx);
 * the tarball carries compiled JavaScript and declarations instead, because Node and Pulumi's
 * ts-node do not compile TypeScript inside node_modules. Prints the tarball's path.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

const SDK_DIR = path.resolve(__dirname, "..");

/** package.json of the tarball: entry points moved from `src/*.ts` to `dist/*.js` and `.d.ts`. */
export function releaseManifest(source: Record<string, unknown>): Record<string, unknown> {
    const { devDependencies: _dev, ...manifest } = source;
    const compiled = (target: string) => ({ types: target.replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, ".d.ts"), default: target.replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, ".js") });
    const exports = source.exports as Record<string, string>;
    return {
        ...manifest,
        main: "./dist/index.js",
        types: "./dist/index.d.ts",
        exports: Object.fromEntries(Object.entries(exports).map(([key, target]) => [key, target.startsWith("./src/") ? compiled(target) : target])),
        files: ["dist"],
    };
}

function run(command: string, args: string[], cwd: string): string {
    const result = spawnSync(command, args, { cwd, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${path.basename(command)} ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
    return result.stdout;
}

/** Compiles the SDK and packs it into `outDir`; returns the tarball's path. */
export function packTeamSdk(outDir: string): string {
    const staging = mkdtempSync(path.join(tmpdir(), "team-sdk-pack-"));
    try {
        run(process.execPath, [require.resolve("typescript/bin/tsc", { paths: [SDK_DIR] }), "-p", path.join(SDK_DIR, "tsconfig.json"), "--outDir", path.join(staging, "dist")], SDK_DIR);
        const manifest = JSON.parse(readFileSync(path.join(SDK_DIR, "package.json"), "utf8")) as Record<string, unknown>;
        writeFileSync(path.join(staging, "package.json"), `${JSON.stringify(releaseManifest(manifest), null, 2)}\n`);
        const npm = process.env.npm_execpath;
        const [command, prefix] = npm && npm.endsWith(".js") ? [process.execPath, [npm]] : ["npm", []];
        const packed = JSON.parse(run(command, [...prefix, "pack", "--json", "--pack-destination", path.resolve(outDir)], staging)) as { filename: string }[];
        return path.join(path.resolve(outDir), packed[0].filename);
    } finally {
        rmSync(staging, { recursive: true, force: true });
    }
}

if (require.main === module) {
    const { values } = parseArgs({ options: { out: { type: "string", default: "." } }, strict: true });
    process.stdout.write(`${packTeamSdk(values.out!)}\n`);
}
