/** Configuration loading validated at start-up. */
export {
  assertDevOnly,
  ConfigError,
  ENVIRONMENTS,
  type Environment,
  loadConfig,
  loadConfigOrExit,
  settings,
} from "./config";
