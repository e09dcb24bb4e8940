/**
 * Outputs contract v2: the published JSON Schema is generated from the same zod schema as the
 * program's output type, every shipped stack's outputs validate against it (with a JSON Schema
 * validator, as a non-TypeScript consumer would), and a consumer refuses other versions by name.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020";
import { parseStackConfig } from "../../infra/config";
import { OUTPUTS_SCHEMA_VERSION, parsePlatformOutputs } from "@amlmesh/team-sdk/kit/outputs-contract";
import { OUTPUTS_SCHEMA_FILE, renderOutputsSchema } from "../../offline/outputs-schema";
import { shippedStackConfig } from "../harness";
import { plannedStack, STACKS } from "./azure-stacks";

describe("outputs contract v2", () => {
    const schema = JSON.parse(readFileSync(OUTPUTS_SCHEMA_FILE, "utf8")) as Record<string, unknown>;
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

    it("publishes the JSON Schema generated from the contract's types (run `npm run contract:schema -- --write` after changing them)", () => {
        assert.equal(readFileSync(OUTPUTS_SCHEMA_FILE, "utf8"), renderOutputsSchema());
        assert.equal((schema.properties as Record<string, { const?: unknown }>).schemaVersion.const, OUTPUTS_SCHEMA_VERSION);
    });

    for (const name of STACKS) {
        it(`${name}: the stack's outputs validate against the published schema and the consumer's check`, async () => {
            const outputs = (await plannedStack(name)).outputs;
            assert.ok(validate(outputs), JSON.stringify(validate.errors));
            const parsed = parsePlatformOutputs(outputs);
            const config = parseStackConfig(shippedStackConfig(name));
            assert.deepEqual(
                parsed.teams.map((team) => [team.name, team.namespaces, team.prefixes.map((p) => p.delegatedTo)]),
                config.teams.map((team) => [team.name, team.namespaces, team.prefixes.map((p) => `${p.namespace}/${p.route}`)]),
            );
            for (const team of parsed.teams) assert.match(team.identity.clientId, /^[0-9a-f-]{36}$/);
        });
    }

    it("refuses what the contract does not describe, in the schema and in the consumer's check", async () => {
        const outputs = structuredClone((await plannedStack("prod")).outputs) as Record<string, unknown> & { edge: Record<string, unknown> };
        delete outputs.edge.authorizer;
        assert.equal(validate(outputs), false);
        assert.throws(() => parsePlatformOutputs(outputs), /edge\.authorizer/);
    });

    it("names both versions when the platform's schema version is not the consumer's", async () => {
        const outputs = (await plannedStack("prod")).outputs;
        assert.throws(() => parsePlatformOutputs({ ...outputs, schemaVersion: 1 }, "stack organization/amlmesh/prod"), /stack organization\/amlmesh\/prod exports outputs with schemaVersion 1, but this consumer understands schemaVersion 2 only; upgrade the platform stack/);
        assert.throws(() => parsePlatformOutputs({ ...outputs, schemaVersion: 3 }), /schemaVersion 3, but this consumer understands schemaVersion 2 only; upgrade the consumer/);
        assert.throws(() => parsePlatformOutputs({}), /no schemaVersion/);
        assert.equal(validate({ ...outputs, schemaVersion: 1 }), false);
    });
});
