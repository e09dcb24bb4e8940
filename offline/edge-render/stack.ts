/**
 * A shipped stack's edge objects: the real program evaluated under the offline mocks (as
 * `npm run plan` does), then read by objects.ts. Tests and the edge benchmark render from this.
 */
import * as path from "node:path";
import { evaluateStack } from "../evaluate-stack";
import { readStackConfigFiles } from "../stack-files";
import { edgeObjectsFrom, type EdgeObjects } from "./objects";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export type ShippedStack = "dev" | "staging" | "prod";

/** Evaluates the stack (optionally with its raw config edited first) and returns its edge objects. */
export async function stackEdgeObjects(stack: ShippedStack, edit?: (config: Record<string, string>) => Record<string, string>): Promise<EdgeObjects> {
    const raw = readStackConfigFiles(PROJECT_ROOT, stack).config;
    const evaluation = await evaluateStack(edit ? edit(raw) : raw, { stack, project: "amlmesh", preview: true });
    return edgeObjectsFrom(evaluation.resources);
}
