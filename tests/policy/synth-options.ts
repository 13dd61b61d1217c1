/**
 * Inputs for synthesizing in tests: the real dist/functions/functions.json when the edge
 * build has produced it, otherwise the committed fixture (three handlers, one with IAM
 * auth); the dev manifest for every environment (staging/prod manifests come from the
 * release pipeline).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { FUNCTIONS_FILE } from "../../stacks/inputs/functions";
import { REPO_ROOT } from "../../stacks/synthesize";

export const FIXTURE_FUNCTIONS = "tests/unit/stacks/fixtures/functions.json";

export function synthOptionsForTests(useRealFunctions = true) {
  const real = useRealFunctions && existsSync(join(REPO_ROOT, FUNCTIONS_FILE));
  return {
    functionsFile: real ? FUNCTIONS_FILE : FIXTURE_FUNCTIONS,
    manifestFile: join(REPO_ROOT, "stacks/config/dev-manifest.json"),
    manifestKeyFile: join(REPO_ROOT, "stacks/config/dev-release-keys.json"),
  };
}
