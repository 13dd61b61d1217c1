/**
 * `npx tsx ami/write-runtime-config.ts --env E --sealing-key-arn ARN --nats-ca FILE
 *  --nats-server-name NAME --account-public-key A… --runtime-nats-key FILE
 *  --manifest-key FILE [--fips] [--recovery-delay-seconds N] --out FILE`
 *
 * Writes the release's measured runtime configuration (ami/runtime-config.ts), checked
 * as the runtime will check it, for ami/enclave/build-eif.sh. The values come from the
 * deployed stacks' outputs (`terraform output -raw sealing-key-arn` of keys,
 * `nats-ca-certificate` and `nats-server-name` of messaging), the VETTID account's public
 * key and the files of the release pull request. Prints one line; exit 0 written,
 * 1 invalid inputs, 2 usage.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildRuntimeConfig } from "./runtime-config";

const USAGE =
  "usage: write-runtime-config --env dev|staging|prod --sealing-key-arn ARN --nats-ca FILE --nats-server-name NAME --account-public-key A... --runtime-nats-key FILE --manifest-key FILE [--fips] [--recovery-delay-seconds N] --out FILE";

const REQUIRED = [
  "env",
  "sealing-key-arn",
  "nats-ca",
  "nats-server-name",
  "account-public-key",
  "runtime-nats-key",
  "manifest-key",
  "out",
] as const;

export function main(argv: string[]): number {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        ...Object.fromEntries(REQUIRED.map((name) => [name, { type: "string" as const }])),
        "recovery-delay-seconds": { type: "string" },
        fips: { type: "boolean" },
      },
    }));
    const missing = REQUIRED.filter((name) => typeof values[name] !== "string");
    if (missing.length > 0) throw new Error(`missing --${missing.join(", --")}`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const text = (name: string) => readFileSync(String(values[name]), "utf8");
  try {
    const delay = values["recovery-delay-seconds"];
    if (delay !== undefined && !/^\d+$/.test(String(delay)))
      throw new Error("--recovery-delay-seconds must be a number");
    const config = buildRuntimeConfig({
      environment: String(values.env),
      sealingKeyArn: String(values["sealing-key-arn"]),
      fips: values.fips === true,
      natsCaPem: text("nats-ca"),
      natsServerName: String(values["nats-server-name"]),
      accountPublicKey: String(values["account-public-key"]),
      runtimeNatsKeyText: text("runtime-nats-key"),
      manifestKey: JSON.parse(text("manifest-key")) as Record<string, unknown>,
      ...(delay !== undefined ? { recoveryDelaySeconds: Number(delay) } : {}),
    });
    writeFileSync(String(values.out), `${JSON.stringify(config, null, 2)}\n`);
    process.stdout.write(
      `wrote ${String(values.out)}: ${config.environment}, sealing key ${config.kms.keyArn}, NATS ${config.nats?.servername} signing key ${config.nats?.signingPublicKey}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
