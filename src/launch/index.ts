/** Launch files: ROS 2-style YAML that declares arguments and produces a training or deploy config. */
export { LaunchError, type Origin } from "./errors.js";
export { parseOverrides, type ParsedOverrides } from "./overrides.js";
export {
  describeLaunchArgs,
  formatLaunchArgs,
  loadLaunch,
  runLaunchActions,
  type DeclaredArg,
  type LaunchResult,
  type LoadLaunchOptions,
} from "./loader.js";
export {
  ACTIVATIONS,
  ALGORITHMS,
  TrainConfigSchema,
  type Activation,
  type Algorithm,
  type TrainConfig,
  type TrainConfigInput,
} from "./train-config.js";
export {
  DeployConfigSchema,
  loadDeployLaunch,
  SAFE_COMMANDS,
  TRANSPORTS,
  type DeployConfig,
  type DeployConfigInput,
  type DeployLaunchResult,
  type SafeCommandKind,
  type Transport,
} from "./deploy-config.js";
