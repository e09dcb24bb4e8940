/**
 * A copy of the program (not the tests) in a temporary folder, sharing this checkout's
 * node_modules, so a test can change a component or a stack file and plan the result in its own
 * process, as the gate plans a base commit.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../harness";

const PROGRAM = ["Pulumi.yaml", "package.json", "tsconfig.json", "infra", "components", "offline", "policy", "services", "stacks", "upstream", "bootstrap", "team-sdk"];

export function copyProgram(dir: string): string {
    for (const entry of PROGRAM) cpSync(path.join(PROJECT_ROOT, entry), path.join(dir, entry), { recursive: true, filter: (source) => !source.includes("node_modules") });
    // The checkout's packages, except that the workspace package is the copy's own (the kit the
    // platform imports by package name is part of the program).
    const modules = path.join(dir, "node_modules");
    mkdirSync(path.join(modules, "@amlmesh"), { recursive: true });
    for (const entry of readdirSync(path.join(PROJECT_ROOT, "node_modules"))) {
        if (entry !== "@amlmesh") symlinkSync(path.join(PROJECT_ROOT, "node_modules", entry), path.join(modules, entry));
    }
    symlinkSync(path.join(dir, "team-sdk"), path.join(modules, "@amlmesh", "team-sdk"));
    return dir;
}

/** Replaces one exact piece of a file of the copy; fails when the piece is not there. */
export function editFile(dir: string, file: string, from: string, to: string): void {
    const full = path.join(dir, file);
    const text = readFileSync(full, "utf8");
    if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
    writeFileSync(full, text.replace(from, to));
}
