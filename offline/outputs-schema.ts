/**
 * Writes the JSON Schema of the outputs contract (from team-sdk/src/kit/outputs-contract.ts) to
 * infra/outputs.schema.json, for consumers outside TypeScript. `npm run contract:schema` prints
 * it; `-- --write` updates the file. A test fails when the file is stale.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { platformOutputsJsonSchema } from "@amlmesh/team-sdk/kit/outputs-contract";

export const OUTPUTS_SCHEMA_FILE = path.resolve(__dirname, "..", "infra", "outputs.schema.json");

export function renderOutputsSchema(): string {
    return `${JSON.stringify(platformOutputsJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
    const text = renderOutputsSchema();
    if (process.argv.includes("--write")) {
        writeFileSync(OUTPUTS_SCHEMA_FILE, text);
        console.log(`updated ${OUTPUTS_SCHEMA_FILE}`);
    } else {
        process.stdout.write(text);
    }
}
