export { ModelService, MODEL_SERVICE_TYPE, type ContainerResources, type MeshCaller, type ModelServiceArgs, type RateLimit } from "./model-service";
export { OUTPUTS_SCHEMA_VERSION, OutputsContractError, PlatformReference, type PlatformOutputsDocument, type PlatformTeam } from "./platform-reference";
export { teamPolicySettings, type TeamPolicySettings } from "./policy-config";
