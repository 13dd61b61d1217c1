import { randomBytes, randomUUID } from "node:crypto";
import { verifyAttestation } from "../../lib/attestation";
import { createEnvelopedData } from "../../lib/cms";
import { assertDevOnly } from "../../lib/config";
import { type AwsJsonInput, type AwsJsonService, AwsServiceError } from "./json-protocol";
import { blobKeyId, openBlob, sealBlob } from "./kms-ciphertext";
import { DEFAULT_KEY_POLICY, isAllowed, type KeyPolicy, type PolicyContext, parseKeyPolicy } from "./kms-policy";
import type { StateFile } from "./state-file";

/**
 * Dev-only KMS stand-in (AWS JSON 1.1, target prefix `TrentService`) for the
 * operations VettID uses: CreateKey, DescribeKey, PutKeyPolicy, GetKeyPolicy,
 * CreateAlias, GenerateDataKey, Encrypt, Decrypt. With `Recipient`, the attestation
 * document is verified against the configured root, the key policy's
 * `kms:RecipientAttestation:PCR0` / `ImageSha384` conditions are enforced, and the
 * answer is `CiphertextForRecipient`: a CMS EnvelopedData (RSAES-OAEP-SHA-256 key
 * transport, AES-256-CBC content) to the document's `public_key`, with `Plaintext`
 * left out, exactly as AWS KMS does.
 */

/** What the stand-in needs from a Recipient attestation document. */
export interface VerifiedRecipient {
  pcrs: Record<number, Uint8Array>;
  publicKey?: Uint8Array;
}

/** Options of {@link createKmsService}. */
export interface KmsStandInOptions {
  /** VETTID_ENV; the stand-in refuses anything but local / dev. */
  environment: string | undefined;
  /** Verifies a Recipient's attestation document (see {@link attestationRecipientVerifier}). */
  verifyRecipient(document: Uint8Array): Promise<VerifiedRecipient>;
  region?: string;
  accountId?: string;
  /**
   * Where the keys and aliases are kept (./state-file.ts): loaded at creation and
   * saved after every CreateKey, PutKeyPolicy and CreateAlias, before the answer.
   * Without one they live as long as the returned object. A stand-in that loses its
   * keys loses every vault sealed under them.
   */
  keyStore?: StateFile<KmsKeyState>;
}

/** The stand-in's saved state (key material in base64; dev only, never a real key). */
export interface KmsKeyState {
  keys: {
    keyId: string;
    arn: string;
    material: string;
    policy: string;
    description: string;
    created: number;
  }[];
  aliases: Record<string, string>;
}

interface StoredKey {
  keyId: string;
  arn: string;
  material: Buffer;
  policy: KeyPolicy;
  description: string;
  created: number;
}

/** KMS caps Encrypt plaintexts at 4096 bytes and data keys at 1024. */
const MAX_PLAINTEXT_BYTES = 4096;
const MAX_DATA_KEY_BYTES = 1024;
const KEY_SPEC_BYTES: Record<string, number> = { AES_256: 32, AES_128: 16 };

/**
 * Verifies Recipient documents with lib/attestation against `trustedRoots` (the dev
 * root in the local topology). No manifest here: which PCRs may receive a key is the
 * key policy's decision, as in AWS.
 */
export function attestationRecipientVerifier(
  trustedRoots: (string | Uint8Array)[],
): KmsStandInOptions["verifyRecipient"] {
  return async (document) => {
    const verified = await verifyAttestation(document, { trustedRoots, maxAgeMs: 5 * 60_000 });
    return { pcrs: verified.pcrs, ...(verified.publicKey ? { publicKey: verified.publicKey } : {}) };
  };
}

/** A KMS stand-in service for `startAwsJsonServer`; keys live as long as the returned object. */
export function createKmsService(options: KmsStandInOptions): AwsJsonService & { readonly keyCount: number } {
  assertDevOnly("the KMS stand-in", options.environment);
  const region = options.region ?? "us-east-1";
  const account = options.accountId ?? "000000000000";
  const keys = new Map<string, StoredKey>();
  const aliases = new Map<string, string>();
  const saved = options.keyStore?.load();
  for (const key of saved?.keys ?? []) {
    keys.set(key.keyId, { ...key, material: Buffer.from(key.material, "base64"), policy: policyOf(key.policy) });
  }
  for (const [alias, keyId] of Object.entries(saved?.aliases ?? {})) aliases.set(alias, keyId);
  const save = () =>
    options.keyStore?.save({
      keys: [...keys.values()].map((key) => ({
        ...key,
        material: key.material.toString("base64"),
        policy: key.policy.text,
      })),
      aliases: Object.fromEntries(aliases),
    });

  function resolve(keyIdInput: unknown): StoredKey {
    if (typeof keyIdInput !== "string" || keyIdInput.length === 0) {
      throw new AwsServiceError("ValidationException", "KeyId is required");
    }
    let id = keyIdInput;
    if (id.startsWith("alias/")) id = aliases.get(id) ?? "";
    else if (id.startsWith("arn:")) {
      const aliasMatch = /:(alias\/.+)$/.exec(id);
      id = aliasMatch ? (aliases.get(aliasMatch[1] as string) ?? "") : (id.split("/").pop() ?? "");
    }
    const key = keys.get(id);
    if (!key) throw new AwsServiceError("NotFoundException", `Key '${keyIdInput}' does not exist`);
    return key;
  }

  async function recipientOf(input: AwsJsonInput): Promise<VerifiedRecipient | undefined> {
    const recipient = input.Recipient as
      | { AttestationDocument?: unknown; KeyEncryptionAlgorithm?: unknown }
      | undefined;
    if (recipient === undefined) return undefined;
    if (recipient.KeyEncryptionAlgorithm !== "RSAES_OAEP_SHA_256") {
      throw new AwsServiceError("ValidationException", "KeyEncryptionAlgorithm must be RSAES_OAEP_SHA_256");
    }
    const document = decodeBase64(recipient.AttestationDocument, "Recipient.AttestationDocument");
    let verified: VerifiedRecipient;
    try {
      verified = await options.verifyRecipient(document);
    } catch {
      throw new AwsServiceError("ValidationException", "the Recipient attestation document is not valid");
    }
    if (!verified.publicKey) {
      throw new AwsServiceError("ValidationException", "the attestation document has no public_key");
    }
    return verified;
  }

  function authorize(
    key: StoredKey,
    action: string,
    recipient: VerifiedRecipient | undefined,
    encryptionContext: Record<string, string> = {},
  ): void {
    const context: PolicyContext = {
      encryptionContext,
      ...(recipient
        ? { recipientPcrs: Object.fromEntries(Object.entries(recipient.pcrs).map(([i, v]) => [i, hex(v)])) }
        : {}),
    };
    if (!isAllowed(key.policy, action, context)) {
      throw new AwsServiceError(
        "AccessDeniedException",
        `User is not authorized to perform: ${action} on resource: ${key.arn} because of the key policy`,
      );
    }
  }

  function answerFor(recipient: VerifiedRecipient | undefined, plaintext: Buffer): Record<string, string> {
    if (!recipient) return { Plaintext: plaintext.toString("base64") };
    const envelope = createEnvelopedData(recipient.publicKey as Uint8Array, plaintext);
    plaintext.fill(0);
    return { CiphertextForRecipient: Buffer.from(envelope).toString("base64") };
  }

  const service: AwsJsonService & { readonly keyCount: number } = {
    targetPrefix: "TrentService",
    get keyCount() {
      return keys.size;
    },
    operations: {
      CreateKey(input) {
        const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
        if (spec !== "SYMMETRIC_DEFAULT") throw new AwsServiceError("UnsupportedOperationException", `KeySpec ${spec}`);
        const policy = policyOf(input.Policy);
        const keyId = randomUUID();
        const key: StoredKey = {
          keyId,
          arn: `arn:aws:kms:${region}:${account}:key/${keyId}`,
          material: randomBytes(32),
          policy,
          description: typeof input.Description === "string" ? input.Description : "",
          created: Date.now() / 1000,
        };
        keys.set(keyId, key);
        save();
        return { KeyMetadata: metadata(key, account) };
      },
      DescribeKey(input) {
        return { KeyMetadata: metadata(resolve(input.KeyId), account) };
      },
      PutKeyPolicy(input) {
        resolve(input.KeyId).policy = policyOf(input.Policy);
        save();
        return {};
      },
      GetKeyPolicy(input) {
        return { Policy: resolve(input.KeyId).policy.text, PolicyName: "default" };
      },
      CreateAlias(input) {
        const name = input.AliasName;
        if (typeof name !== "string" || !/^alias\/[A-Za-z0-9/_-]{1,250}$/.test(name) || name.startsWith("alias/aws/")) {
          throw new AwsServiceError("ValidationException", "AliasName must look like alias/name");
        }
        if (aliases.has(name)) throw new AwsServiceError("AlreadyExistsException", `${name} already exists`);
        aliases.set(name, resolve(input.TargetKeyId).keyId);
        save();
        return {};
      },
      async GenerateDataKey(input) {
        const key = resolve(input.KeyId);
        const recipient = await recipientOf(input);
        const context = contextOf(input.EncryptionContext);
        authorize(key, "kms:GenerateDataKey", recipient, context);
        const size = dataKeySize(input);
        const plaintext = randomBytes(size);
        const blob = sealBlob(key.keyId, key.material, plaintext, context);
        return { KeyId: key.arn, CiphertextBlob: blob.toString("base64"), ...answerFor(recipient, plaintext) };
      },
      Encrypt(input) {
        const key = resolve(input.KeyId);
        authorize(key, "kms:Encrypt", undefined);
        const plaintext = decodeBase64(input.Plaintext, "Plaintext");
        if (plaintext.length === 0 || plaintext.length > MAX_PLAINTEXT_BYTES) {
          throw new AwsServiceError("ValidationException", "Plaintext must be 1..4096 bytes");
        }
        const blob = sealBlob(key.keyId, key.material, plaintext, contextOf(input.EncryptionContext));
        return { KeyId: key.arn, CiphertextBlob: blob.toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
      },
      async Decrypt(input) {
        const blob = Buffer.from(decodeBase64(input.CiphertextBlob, "CiphertextBlob"));
        const blobKey = blobKeyId(blob);
        if (!blobKey) throw new AwsServiceError("InvalidCiphertextException", "the ciphertext is not valid");
        const key = resolve(blobKey);
        if (input.KeyId !== undefined && resolve(input.KeyId).keyId !== key.keyId) {
          throw new AwsServiceError("IncorrectKeyException", "the ciphertext was not encrypted under this key");
        }
        const recipient = await recipientOf(input);
        authorize(key, "kms:Decrypt", recipient, contextOf(input.EncryptionContext));
        const plaintext = openBlob(blob, key.material, contextOf(input.EncryptionContext));
        if (!plaintext) throw new AwsServiceError("InvalidCiphertextException", "the ciphertext is not valid");
        return { KeyId: key.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT", ...answerFor(recipient, plaintext) };
      },
    },
  };
  return service;
}

function policyOf(value: unknown): KeyPolicy {
  try {
    return parseKeyPolicy(typeof value === "string" ? value : DEFAULT_KEY_POLICY);
  } catch (err) {
    throw new AwsServiceError("MalformedPolicyDocumentException", (err as Error).message);
  }
}

function dataKeySize(input: AwsJsonInput): number {
  if (input.NumberOfBytes !== undefined) {
    const n = input.NumberOfBytes;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_DATA_KEY_BYTES) {
      throw new AwsServiceError("ValidationException", "NumberOfBytes must be 1..1024");
    }
    return n;
  }
  const size = typeof input.KeySpec === "string" ? KEY_SPEC_BYTES[input.KeySpec] : undefined;
  if (size === undefined) throw new AwsServiceError("ValidationException", "KeySpec or NumberOfBytes is required");
  return size;
}

function contextOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new AwsServiceError("ValidationException", "EncryptionContext must be a map");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new AwsServiceError("ValidationException", "EncryptionContext values are strings");
    out[k] = v;
  }
  return out;
}

function decodeBase64(value: unknown, name: string): Uint8Array {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new AwsServiceError("ValidationException", `${name} must be base64`);
  }
  return new Uint8Array(Buffer.from(value, "base64"));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function metadata(key: StoredKey, account: string): Record<string, unknown> {
  return {
    AWSAccountId: account,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.created,
    Enabled: true,
    Description: key.description,
    KeyUsage: "ENCRYPT_DECRYPT",
    KeyState: "Enabled",
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
    KeySpec: "SYMMETRIC_DEFAULT",
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: false,
  };
}
