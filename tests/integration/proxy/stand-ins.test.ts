import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { generateRecipientKeyPair, openEnvelopedData } from "../../../lib/cms";
import { type AwsStandIn, startAwsJsonServer } from "../../../local/aws/json-protocol";
import { attestationRecipientVerifier, createKmsService } from "../../../local/aws/kms";
import { isAllowed, parseKeyPolicy } from "../../../local/aws/kms-policy";
import { type S3StandIn, startS3StandIn } from "../../../local/aws/s3";
import { decodeAwsChunked } from "../../../local/aws/s3-chunked";
import { sealingKeyPolicy } from "../../../local/launcher/sealed-state";
import { createSimulatedNsm, type SimulatedNsm } from "../../../local/nsm-sim";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString("hex");

describe("KMS stand-in (AWS JSON 1.1 through @aws-sdk/client-kms)", () => {
  let standIn: AwsStandIn;
  let kms: KMSClient;
  let nsm: SimulatedNsm;
  let keyArn: string;
  beforeAll(async () => {
    nsm = await createSimulatedNsm({ environment: "local" });
    standIn = await startAwsJsonServer([
      createKmsService({
        environment: "local",
        verifyRecipient: attestationRecipientVerifier([nsm.rootCertificatePem]),
      }),
    ]);
    kms = new KMSClient({ endpoint: standIn.endpoint, region: "us-east-1", credentials });
    const out = await kms.send(new CreateKeyCommand({ Policy: sealingKeyPolicy(hex(nsm.pcrs[0])) }));
    keyArn = out.KeyMetadata?.Arn as string;
  });
  afterAll(async () => {
    kms?.destroy();
    await standIn?.stop();
  });

  it("returns CiphertextForRecipient as CMS to the attested key and no Plaintext", async () => {
    const keys = generateRecipientKeyPair();
    const document = await nsm.attest({ publicKey: keys.publicKeySpki });
    const out = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: keyArn,
        KeySpec: "AES_256",
        EncryptionContext: { vault: "vlt_a" },
        Recipient: { AttestationDocument: document, KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" },
      }),
    );
    expect(out.Plaintext ?? new Uint8Array()).toHaveLength(0);
    expect(out.CiphertextBlob?.length).toBeGreaterThan(32);
    const dataKey = openEnvelopedData(out.CiphertextForRecipient as Uint8Array, keys.privateKey);
    expect(dataKey).toHaveLength(32);
  });

  it("denies GenerateDataKey and Decrypt without a Recipient when the policy requires PCR0", async () => {
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: "AES_256" }))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
    const encrypted = await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: new Uint8Array([1, 2, 3]) }));
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
  });

  it("denies a Recipient request without a vault's encryption context when the policy requires one", async () => {
    const keys = generateRecipientKeyPair();
    const Recipient = {
      AttestationDocument: await nsm.attest({ publicKey: keys.publicKeySpki }),
      KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" as const,
    };
    const contexts: (Record<string, string> | undefined)[] = [undefined, { vault: "not-a-vault" }, { other: "vlt_a" }];
    for (const EncryptionContext of contexts) {
      await expect(
        kms.send(
          new GenerateDataKeyCommand({
            KeyId: keyArn,
            KeySpec: "AES_256",
            Recipient,
            ...(EncryptionContext ? { EncryptionContext } : {}),
          }),
        ),
      ).rejects.toMatchObject({ name: "AccessDeniedException" });
    }
  });

  it("binds the encryption context and rejects a tampered ciphertext", async () => {
    const keys = generateRecipientKeyPair();
    const Recipient = {
      AttestationDocument: await nsm.attest({ publicKey: keys.publicKeySpki }),
      KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" as const,
    };
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: keyArn, Plaintext: new Uint8Array([9, 9]), EncryptionContext: { vault: "vlt_a" } }),
    );
    const ok = await kms.send(
      new DecryptCommand({
        CiphertextBlob: encrypted.CiphertextBlob,
        EncryptionContext: { vault: "vlt_a" },
        Recipient,
      }),
    );
    expect(openEnvelopedData(ok.CiphertextForRecipient as Uint8Array, keys.privateKey)).toEqual(new Uint8Array([9, 9]));
    await expect(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: encrypted.CiphertextBlob,
          EncryptionContext: { vault: "vlt_b" },
          Recipient,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidCiphertextException" });
    const tampered = new Uint8Array(encrypted.CiphertextBlob as Uint8Array);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { vault: "vlt_a" }, Recipient })),
    ).rejects.toMatchObject({ name: "InvalidCiphertextException" });
  });

  it("refuses to start with a production environment", () => {
    expect(() => createKmsService({ environment: "prod", verifyRecipient: async () => ({ pcrs: {} }) })).toThrow(
      /dev-only/,
    );
  });

  it("evaluates policies fail-closed: unknown condition keys never grant, Deny wins", () => {
    const unknown = parseKeyPolicy(
      JSON.stringify({
        Statement: [{ Effect: "Allow", Action: "kms:Decrypt", Condition: { StringEquals: { "aws:SourceVpc": "x" } } }],
      }),
    );
    expect(isAllowed(unknown, "kms:Decrypt", {})).toBe(false);
    const deny = parseKeyPolicy(
      JSON.stringify({
        Statement: [
          { Effect: "Allow", Action: "kms:*" },
          {
            Effect: "Deny",
            Action: "kms:Decrypt",
            Condition: { StringEquals: { "kms:RecipientAttestation:PCR0": "aa" } },
          },
        ],
      }),
    );
    expect(isAllowed(deny, "kms:Decrypt", { recipientPcrs: { 0: "AA" } })).toBe(false);
    expect(isAllowed(deny, "kms:Decrypt", { recipientPcrs: { 0: "bb" } })).toBe(true);
    const image = parseKeyPolicy(
      JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Action: "kms:Decrypt",
            Condition: { StringEqualsIgnoreCase: { "kms:RecipientAttestation:ImageSha384": "ab" } },
          },
        ],
      }),
    );
    expect(isAllowed(image, "kms:Decrypt", { recipientPcrs: { 0: "ab" } })).toBe(true);
    expect(isAllowed(image, "kms:Decrypt", {})).toBe(false);
  });
});

describe("S3 stand-in (S3 REST through @aws-sdk/client-s3)", () => {
  let standIn: S3StandIn;
  let s3: S3Client;
  const Bucket = "test-bucket";
  beforeAll(async () => {
    standIn = await startS3StandIn({ environment: "local" });
    s3 = new S3Client({ endpoint: standIn.endpoint, region: "us-east-1", credentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket }));
  });
  afterAll(async () => {
    s3?.destroy();
    await standIn?.stop();
  });

  it("puts, heads, gets and deletes with ETags", async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: "a/b.bin", Body: new Uint8Array([1, 2, 3]) }));
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "a/b.bin" }));
    expect(head).toMatchObject({ ETag: put.ETag, ContentLength: 3 });
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "a/b.bin" }));
    expect(await got.Body?.transformToByteArray()).toEqual(new Uint8Array([1, 2, 3]));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: "a/b.bin" }));
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: "a/b.bin" }))).rejects.toMatchObject({
      name: "NoSuchKey",
    });
  });

  it("enforces If-None-Match: * and If-Match with 412 PreconditionFailed, leaving the object untouched", async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket, Key: "c", Body: "one", IfNoneMatch: "*" }));
    await expect(
      s3.send(new PutObjectCommand({ Bucket, Key: "c", Body: "dup", IfNoneMatch: "*" })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
    const second = await s3.send(new PutObjectCommand({ Bucket, Key: "c", Body: "two", IfMatch: first.ETag }));
    await expect(
      s3.send(new PutObjectCommand({ Bucket, Key: "c", Body: "stale", IfMatch: first.ETag })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
    await expect(s3.send(new DeleteObjectCommand({ Bucket, Key: "c", IfMatch: first.ETag }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "c" }));
    expect(await got.Body?.transformToString()).toBe("two");
    expect(got.ETag).toBe(second.ETag);
  });

  it("lets exactly one of many racing conditional writes win", async () => {
    const base = await s3.send(new PutObjectCommand({ Bucket, Key: "race", Body: "base" }));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        s3.send(new PutObjectCommand({ Bucket, Key: "race", Body: `w${i}`, IfMatch: base.ETag })),
      ),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
  });

  it("decodes aws-chunked bodies and refuses malformed ones", () => {
    const body = Buffer.from("3;chunk-signature=ab\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n");
    expect(decodeAwsChunked(body)?.toString()).toBe("abcde");
    expect(decodeAwsChunked(Buffer.from("zz\r\nabc"))).toBeUndefined();
    expect(decodeAwsChunked(Buffer.from("5\r\nab\r\n0\r\n"))).toBeUndefined();
  });
});
