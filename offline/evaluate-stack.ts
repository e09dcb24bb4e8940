/**
 * Evaluates the amlmesh program (infra/) for one stack under the offline mocks. The offline
 * plan and the tests both go through here, so a test sees the program exactly as the plan runs
 * it: same entry point, same mock context.
 */
import * as path from "node:path";
import { evaluateProgram, type Evaluation } from "./engine";

const PROGRAM = path.resolve(__dirname, "..", "infra", "index.ts");

export interface StackEvaluationOptions {
    stack: string;
    project: string;
    /** Evaluate as a preview (`pulumi.runtime.isDryRun()` true). Defaults to true. */
    preview?: boolean;
}

/** Runs the program with `config` (raw, as the engine passes it) and returns what it registered. */
export function evaluateStack(config: Record<string, string>, options: StackEvaluationOptions): Promise<Evaluation> {
    return evaluateProgram(() => require(PROGRAM), {
        project: options.project,
        stack: options.stack,
        config,
        // The program validates these; the mocks only need something plausible to shape IDs.
        mockContext: { location: config["amlmesh:location"] ?? "westeurope", tenantId: config["amlmesh:tenantId"] ?? "" },
        preview: options.preview,
    });
}
