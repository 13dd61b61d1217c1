/**
 * The app `cdktf` (cdktf.json) runs for `cdktf synth|diff|deploy`: the environment comes
 * from VETTID_ENV (default dev) and the output directory from CDKTF_OUTDIR, which the CLI
 * sets. `npm run synth` is the offline equivalent that needs no CLI.
 */
import { synthesize } from "./synthesize";

try {
  const { notices } = synthesize({
    env: process.env.VETTID_ENV ?? "dev",
    outdir: process.env.CDKTF_OUTDIR,
    manifestFile: process.env.VETTID_MANIFEST_FILE,
    manifestKeyFile: process.env.VETTID_MANIFEST_KEY_FILE,
    runtimeNatsKeyFile: process.env.VETTID_RUNTIME_NATS_KEY_FILE,
    functionsFile: process.env.VETTID_FUNCTIONS_FILE,
  });
  for (const notice of notices) process.stderr.write(`notice: ${notice}\n`);
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}
