/**
 * Inputs for synthesizing in tests: the real dist/functions/functions.json when the edge
 * build has produced it, otherwise the committed fixture (three handlers, one with IAM
 * auth); the dev manifest for every environment (staging/prod manifests come from the
 * release pipeline).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { FUNCTIONS_FILE } from "../../stacks/inputs/functions";
import { type RuntimeNatsKey, readRuntimeNatsKey } from "../../stacks/inputs/runtime-nats-key";
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

/**
 * The runtime's sealed NATS key a test synthesizes `env` with: written by `bin/vettid
 * release runtime-nats-key` against the KMS stand-in (a stand-in ciphertext; the stacks
 * check only its shape). Staging and prod refuse a manifest without one.
 */
export function testRuntimeNatsKeyFile(env: string): string {
  return join(REPO_ROOT, "tests/unit/stacks/fixtures/runtime-nats-key", `${env}.json`);
}

/** {@link testRuntimeNatsKeyFile} read as the stacks read it. */
export function testRuntimeNatsKey(env: string): RuntimeNatsKey {
  const key = readRuntimeNatsKey(testRuntimeNatsKeyFile(env), env);
  if (!key) throw new Error(`no runtime NATS key fixture for ${env}`);
  return key;
}
