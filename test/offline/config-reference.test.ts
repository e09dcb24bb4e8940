import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { renderConfigReference, withReference } from "../../offline/config-reference";
import { PROJECT_ROOT } from "../harness";

describe("README config reference", () => {
    it("matches the schema (run `npm run docs:config -- --write` after changing infra/config.ts)", () => {
        const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        assert.equal(readme, withReference(readme, renderConfigReference()));
    });

    it("lists every top-level key with its requirement", () => {
        const reference = renderConfigReference();
        for (const key of ["environment", "location", "tenantId", "network", "cluster", "keyVault", "monitoring", "ml", "edge", "mesh", "access", "routes"]) {
            assert.match(reference, new RegExp(`\\| \`amlmesh:${key}\` \\|`));
        }
        assert.match(reference, /\| `amlmesh:tenantId` \| GUID \| \*\*required\*\* \|/);
    });
});
