/**
 * The AWS stand-ins keep their state on disk (dev only): a stand-in created again from
 * the same files — what a supervised restart of its process does — has everything the
 * first one acknowledged.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AwsJsonInput } from "../../../local/aws/json-protocol";
import { createKmsService, type KmsKeyState } from "../../../local/aws/kms";
import { type S3Store, startS3StandIn } from "../../../local/aws/s3";
import { openS3Directory, readS3Directory } from "../../../local/aws/s3-directory";
import { createSecretsManagerStandIn, type SecretsState } from "../../../local/aws/secrets-manager";
import { jsonStateFile } from "../../../local/aws/state-file";

type Operations = Record<string, (input: AwsJsonInput) => unknown>;

describe("the AWS stand-ins' state on disk", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vettid-stand-in-state-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a KMS stand-in created again from the key file decrypts what the first one encrypted, by alias", async () => {
    // Prepare
    const file = join(dir, "keys.json");
    const options = { environment: "local", verifyRecipient: async () => ({ pcrs: {} }) };
    const first = createKmsService({ ...options, keyStore: jsonStateFile<KmsKeyState>(file) }).operations as Operations;
    const created = (await first.CreateKey?.({})) as { KeyMetadata: { Arn: string } };
    await first.CreateAlias?.({ AliasName: "alias/sealing", TargetKeyId: created.KeyMetadata.Arn });
    const plaintext = Buffer.from("root key").toString("base64");
    const sealed = (await first.Encrypt?.({ KeyId: "alias/sealing", Plaintext: plaintext })) as {
      CiphertextBlob: string;
    };
    // Act
    const again = createKmsService({ ...options, keyStore: jsonStateFile<KmsKeyState>(file) }).operations as Operations;
    const opened = (await again.Decrypt?.({ CiphertextBlob: sealed.CiphertextBlob, KeyId: "alias/sealing" })) as {
      Plaintext: string;
    };
    // Assess
    expect(opened.Plaintext).toBe(plaintext);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("a KMS stand-in without a key file forgets its keys", async () => {
    // Prepare
    const options = { environment: "local", verifyRecipient: async () => ({ pcrs: {} }) };
    const first = createKmsService(options).operations as Operations;
    const created = (await first.CreateKey?.({})) as { KeyMetadata: { Arn: string } };
    // Act
    const again = createKmsService(options).operations as Operations;
    const describe = async () => again.DescribeKey?.({ KeyId: created.KeyMetadata.Arn });
    // Assess
    await expect(describe()).rejects.toMatchObject({ type: "NotFoundException" });
  });

  it("a Secrets Manager stand-in created again from its file answers the current and previous versions", async () => {
    // Prepare
    const file = join(dir, "secrets.json");
    const first = createSecretsManagerStandIn(jsonStateFile<SecretsState>(file)).operations as Operations;
    await first.CreateSecret?.({ Name: "s", SecretString: "one" });
    await first.PutSecretValue?.({ SecretId: "s", SecretString: "two" });
    // Act
    const again = createSecretsManagerStandIn(jsonStateFile<SecretsState>(file)).operations as Operations;
    const current = (await again.GetSecretValue?.({ SecretId: "s" })) as { SecretString: string };
    const previous = (await again.GetSecretValue?.({ SecretId: "s", VersionStage: "AWSPREVIOUS" })) as {
      SecretString: string;
    };
    // Assess
    expect([current.SecretString, previous.SecretString]).toEqual(["two", "one"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("an S3 stand-in started again on its directory serves the objects, ETags and a deletion of the first", async () => {
    // Prepare
    const objects = join(dir, "objects");
    const first = openS3Directory(objects);
    const s3 = await startS3StandIn({ environment: "local", ...first, buckets: ["bucket-a"] });
    const put = await fetch(`${s3.endpoint}/bucket-a/vaults/v1/state`, { method: "PUT", body: "sealed" });
    await fetch(`${s3.endpoint}/bucket-a/gone`, { method: "PUT", body: "x" });
    await fetch(`${s3.endpoint}/bucket-a/gone`, { method: "DELETE" });
    await s3.stop();
    // Act
    const again = openS3Directory(objects);
    const restarted = await startS3StandIn({ environment: "local", ...again, buckets: ["bucket-a"] });
    const got = await fetch(`${restarted.endpoint}/bucket-a/vaults/v1/state`);
    const conditional = await fetch(`${restarted.endpoint}/bucket-a/vaults/v1/state`, {
      method: "PUT",
      body: "sealed 2",
      headers: { "if-match": put.headers.get("etag") ?? "" },
    });
    const gone = await fetch(`${restarted.endpoint}/bucket-a/gone`, { method: "HEAD" });
    await restarted.stop();
    // Assess
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe(put.headers.get("etag"));
    expect(await got.text()).toBe("sealed");
    expect(conditional.status).toBe(200);
    expect(gone.status).toBe(404);
    const store: S3Store = readS3Directory(objects);
    expect(store.buckets.get("bucket-a")?.get("vaults/v1/state")?.data.toString()).toBe("sealed 2");
    expect(readdirSync(join(objects, "bucket-a")).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
