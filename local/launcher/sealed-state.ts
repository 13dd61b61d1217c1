import { join } from "node:path";
import { CreateAliasCommand, CreateKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { RUNTIME_NATS_KEY_CONTEXT } from "../../lib/runtime-config";
import type { S3Store } from "../aws/s3";
import { readS3Directory, S3_OBJECTS_DIR } from "../aws/s3-directory";

/** Bucket of sealed vault state in the local topology (objects under `vaults/`). */
export const LOCAL_SEALED_STATE_BUCKET = "vettid-local-sealed-state";
/** Alias of the local vault sealing key. */
export const LOCAL_SEALING_KEY_ALIAS = "alias/vettid-local-sealing";

/**
 * The sealing key's policy (DESIGN.md §3 invariant 4): anyone may encrypt and
 * describe, but data keys and decryption go only to a Recipient whose attested PCR0
 * is `pcr0Hex`, and only with a vault's encryption context (`{vault: vlt_…}`), as in
 * stacks/keys.ts.
 */
export function sealingKeyPolicy(pcr0Hex: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "operators",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:DescribeKey"],
        Resource: "*",
      },
      {
        Sid: "enclave-only",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: {
          StringEqualsIgnoreCase: { "kms:RecipientAttestation:PCR0": pcr0Hex },
          StringLike: { "kms:EncryptionContext:vault": "vlt_*" },
        },
      },
      {
        // the runtime's sealed NATS signing key (stacks/keys.ts natsKeyStatement)
        Sid: "enclave-opens-nats-key",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Decrypt"],
        Resource: "*",
        Condition: {
          StringEqualsIgnoreCase: { "kms:RecipientAttestation:PCR0": pcr0Hex },
          // a literal StringLike is equality (the stand-in's evaluator reads context keys in StringLike)
          StringLike: { "kms:EncryptionContext:purpose": RUNTIME_NATS_KEY_CONTEXT.purpose as string },
        },
      },
    ],
  });
}

/** The S3 stand-in's process as the sealed-state store sees it. */
export interface SealedStateS3 {
  endpoint: string;
  /** Its state directory (the objects are in its `objects/`, local/aws/s3-directory.ts). */
  dir: string;
}

/** The local sealed-state store: the S3 stand-in with its bucket, and the KMS sealing key. */
export interface LocalSealedState {
  s3: {
    endpoint: string;
    /** What the stand-in holds, read from its directory at each access (for the journey's checks). */
    readonly store: S3Store;
  };
  bucket: string;
  /** ARN of the sealing key. */
  keyArn: string;
  keyAlias: string;
  stop(): Promise<void>;
}

/**
 * DEV ONLY. Creates the sealing key on the KMS stand-in through the production SDK
 * (`kms`: CreateKey with the PCR0 policy, CreateAlias; the client is destroyed after);
 * `s3` is the S3 stand-in's process, started with the sealed-state bucket.
 */
export async function startSealedState(kms: KMSClient, pcr0Hex: string, s3: SealedStateS3): Promise<LocalSealedState> {
  let keyArn: string;
  try {
    const created = await kms.send(
      new CreateKeyCommand({ Policy: sealingKeyPolicy(pcr0Hex), Description: "vettid local vault sealing (dev only)" }),
    );
    keyArn = created.KeyMetadata?.Arn ?? "";
    if (!keyArn) throw new Error("CreateKey returned no key ARN");
    await kms.send(new CreateAliasCommand({ AliasName: LOCAL_SEALING_KEY_ALIAS, TargetKeyId: keyArn }));
  } finally {
    kms.destroy();
  }
  const objects = join(s3.dir, S3_OBJECTS_DIR);
  return {
    s3: {
      endpoint: s3.endpoint,
      get store() {
        return readS3Directory(objects);
      },
    },
    bucket: LOCAL_SEALED_STATE_BUCKET,
    keyArn,
    keyAlias: LOCAL_SEALING_KEY_ALIAS,
    stop: async () => undefined,
  };
}
