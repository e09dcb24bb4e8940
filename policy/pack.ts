/**
 * The CrossGuard pack entry: constructs the PolicyPack (which starts the analyzer's gRPC server)
 * and nothing else. Rules live in ./rules, the list in ./catalog.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_DESCRIPTION, PACK_NAME, policies } from "./catalog";

new PolicyPack(PACK_NAME, { policies: [...policies], description: PACK_DESCRIPTION, displayName: "amlmesh zero trust", provider: "azure", tags: ["azure", "kubernetes", "zero-trust", "soc2", "hipaa"] });
