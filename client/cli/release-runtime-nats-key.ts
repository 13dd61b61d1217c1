import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { createAccount } from "@nats-io/nkeys";
import { RUNTIME_NATS_KEY_CONTEXT } from "../../lib/runtime-config";
import { type CliIo, type Command, printJson, UsageError } from "./command";

/** The `schema` of the file this command writes (stacks/inputs/runtime-nats-key.ts reads it). */
export const RUNTIME_NATS_KEY_SCHEMA = "vettid.runtime-nats-key/v1";

/** Where each environment's stacks read the file (stacks/config/<env>.ts `release.runtimeNatsKeyFile`). */
export const RUNTIME_NATS_KEY_FILES: Readonly<Record<string, string>> = {
  dev: "stacks/config/dev-runtime-nats-key.json",
  staging: "stacks/config/release/staging/runtime-nats-key.json",
  prod: "stacks/config/release/prod/runtime-nats-key.json",
};

/** The environments the stacks deploy (local has no release). */
const DEPLOY_ENVIRONMENTS = ["dev", "staging", "prod"] as const;

const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:key\/[0-9a-f-]{36}$/;

const USAGE = "vettid release runtime-nats-key --env dev|staging|prod --key-arn ARN [--out FILE] [--replace] [--json]";

const HELP = `Makes the vault runtime's NATS signing key (decision 0076) and seals it: a fresh
account signing nkey is drawn here, its seed is encrypted with KMS Encrypt under the
environment's sealing key (--key-arn, the keys stack's sealing-key-arn output) with the
encryption context {purpose: vettid-runtime-nats-key}, and only the ciphertext and the
public key are written (default: the file the environment's stacks read). The seed is
never printed or written; the key policy lets only an enclave of an approved release
open it. Run with the release role (AWS_PROFILE or the usual AWS_* variables;
AWS_ENDPOINT_URL_KMS is honoured).

Then: add the printed public key to the VETTID account JWT as a signing key scoped to
the runtime template (enclaveSigningKeys of the operator signing secret), name it as
nats.signingPublicKey in the release's runtime configuration (ami/write-runtime-config.ts),
and commit the file with the release pull request.

  --replace   write over an existing file (a new key: the old one stays in the account
              JWT until removed there)
  --json      print {file, signingPublicKey, sealingKeyArn} instead of the public key

Exit 0 written, 1 KMS refused or failed, 2 usage.`;

/** `bin/vettid release runtime-nats-key`. */
export const releaseRuntimeNatsKeyCommand: Command = {
  name: "release runtime-nats-key",
  summary: "make the vault runtime's NATS signing key and seal it with the sealing key",
  usage: USAGE,
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        env: { type: "string" },
        "key-arn": { type: "string" },
        out: { type: "string" },
        replace: { type: "boolean" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const env = values.env ?? "";
    if (!(DEPLOY_ENVIRONMENTS as readonly string[]).includes(env)) {
      throw new UsageError(`--env must be one of ${DEPLOY_ENVIRONMENTS.join(", ")}`);
    }
    const keyArn = values["key-arn"] ?? "";
    const region = KEY_ARN.exec(keyArn)?.[1];
    if (region === undefined) throw new UsageError("--key-arn must be the ARN of a KMS key");
    const file = values.out ?? (RUNTIME_NATS_KEY_FILES[env] as string);
    if (existsSync(file) && !values.replace) {
      throw new UsageError(`${file} exists; pass --replace to make a new key`);
    }

    io.stderr(`sealing a new runtime NATS signing key for ${env} with ${keyArn}\n`);
    const signing = createAccount();
    const signingPublicKey = signing.getPublicKey();
    const kms = new KMSClient({ region });
    let ciphertext: Uint8Array;
    try {
      const out = await kms.send(
        new EncryptCommand({
          KeyId: keyArn,
          Plaintext: signing.getSeed(),
          EncryptionContext: { ...RUNTIME_NATS_KEY_CONTEXT },
        }),
      );
      if (!out.CiphertextBlob || out.CiphertextBlob.length === 0) throw new Error("KMS returned no ciphertext");
      ciphertext = out.CiphertextBlob;
    } catch (err) {
      io.stderr(`error: KMS Encrypt with ${keyArn} failed: ${(err as Error).message}\n`);
      return 1;
    } finally {
      // wipes the seed: it exists only here, and only until KMS sealed it
      signing.clear();
      kms.destroy();
    }

    const record = {
      schema: RUNTIME_NATS_KEY_SCHEMA,
      environment: env,
      signingPublicKey,
      sealingKeyArn: keyArn,
      ciphertext: Buffer.from(ciphertext).toString("base64"),
    };
    mkdirSync(dirname(file), { recursive: true });
    const partial = `${file}.partial`;
    writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(partial, file);
    if (values.json) printJson(io, { file, signingPublicKey, sealingKeyArn: keyArn });
    else io.stdout(`${signingPublicKey}\n`);
    io.stderr(`wrote ${file}\n`);
    return 0;
  },
};
