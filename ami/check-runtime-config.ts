/**
 * `npx tsx ami/check-runtime-config.ts <env> <runtime-config.json>`: checks the enclave
 * runtime's measured configuration of one environment exactly as the runtime will
 * (vault-enclave/config), before it is copied into the image and measured. Prints one
 * line; exit 0 valid, 1 invalid, 2 usage.
 */
import { readFileSync } from "node:fs";
import { ENVIRONMENTS } from "../lib/config";
import { parseMeasuredConfig } from "../lib/runtime-config";

function main(argv: string[]): number {
  const [environment, file] = argv;
  if (argv.length !== 2 || !(ENVIRONMENTS as readonly string[]).includes(environment ?? "") || !file) {
    process.stderr.write(`usage: check-runtime-config <${ENVIRONMENTS.join("|")}> <runtime-config.json>\n`);
    return 2;
  }
  try {
    const config = parseMeasuredConfig(JSON.parse(readFileSync(file, "utf8")));
    if (config.environment !== environment) {
      throw new Error(`the configuration is for ${config.environment}, not ${environment}`);
    }
    process.stdout.write(
      `runtime configuration for ${environment}: sealing key ${config.kms.keyArn} via ${config.kms.endpointName} (${config.trustRoots === "public" ? "public roots" : "dev CA"})\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
