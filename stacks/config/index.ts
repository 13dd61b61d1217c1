import { dev } from "./dev";
import { prod } from "./prod";
import { staging } from "./staging";
import { DEPLOY_ENVIRONMENTS, type DeployEnvironment, type EnvConfig } from "./types";

export { type BackendConfig, DEPLOY_ENVIRONMENTS, type DeployEnvironment, type EnvConfig } from "./types";

const CONFIGS: Record<DeployEnvironment, EnvConfig> = { dev, staging, prod };

/**
 * The configuration of one environment.
 * @throws Error naming the known environments when `name` is not one of them.
 */
export function envConfig(name: string): EnvConfig {
  if (!(DEPLOY_ENVIRONMENTS as readonly string[]).includes(name)) {
    throw new Error(`unknown environment "${name}"; use one of ${DEPLOY_ENVIRONMENTS.join(", ")}`);
  }
  return CONFIGS[name as DeployEnvironment];
}
