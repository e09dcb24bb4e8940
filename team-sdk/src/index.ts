export { ModelService, type MeshCaller, type ModelServiceArgs } from "./model-service";
export { OUTPUTS_SCHEMA_VERSION, OutputsContractError, PlatformReference, type PlatformOutputsDocument, type PlatformTeam } from "./platform-reference";
export { teamPolicySettings, type TeamPolicySettings } from "./policy-config";
