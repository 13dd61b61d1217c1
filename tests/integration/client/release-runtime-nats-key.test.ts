/**
 * `bin/vettid release runtime-nats-key` against the KMS stand-in (AWS JSON 1.1 through
 * @aws-sdk/client-kms) with the sealing key policy of the local topology, which mirrors
 * stacks/keys.ts: the file holds a ciphertext only an attested enclave opens, under the
 * runtime key's context alone, and never the seed; the stacks read the file it writes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, DecryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { fromSeed } from "@nats-io/nkeys";
import { main } from "../../../client/cli/main";
import { RUNTIME_NATS_KEY_FILES } from "../../../client/cli/release-runtime-nats-key";
import { generateRecipientKeyPair, openEnvelopedData } from "../../../lib/cms";
import { RUNTIME_NATS_KEY_CONTEXT } from "../../../lib/runtime-config";
import { type AwsStandIn, startAwsJsonServer } from "../../../local/aws/json-protocol";
import { attestationRecipientVerifier, createKmsService } from "../../../local/aws/kms";
import { sealingKeyPolicy } from "../../../local/launcher/sealed-state";
import { createSimulatedNsm, type SimulatedNsm } from "../../../local/nsm-sim";
import { envConfig } from "../../../stacks/config";
import { parseRuntimeNatsKey } from "../../../stacks/inputs/runtime-nats-key";
import { captureIo } from "../../unit/client/capture-io";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString("hex");
const AWS_VARS = ["AWS_ENDPOINT_URL_KMS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;

describe("bin/vettid release runtime-nats-key", () => {
  let standIn: AwsStandIn;
  let kms: KMSClient;
  let nsm: SimulatedNsm;
  let keyArn: string;
  let dir: string;
  const saved: Record<string, string | undefined> = {};

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
    for (const name of AWS_VARS) saved[name] = process.env[name];
    process.env.AWS_ENDPOINT_URL_KMS = standIn.endpoint;
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    dir = mkdtempSync(join(tmpdir(), "vettid-runtime-nats-key-"));
  });
  afterAll(async () => {
    for (const name of AWS_VARS) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    kms?.destroy();
    await standIn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]) {
    const io = captureIo();
    const code = await main(["release", "runtime-nats-key", ...args], io);
    return { code, out: io.out, err: io.err };
  }

  it("writes the public key and a ciphertext only an attested enclave opens, under the runtime key's context", async () => {
    // Prepare
    const file = join(dir, "staging.json");
    // Act
    const { code, out, err } = await run(["--env", "staging", "--key-arn", keyArn, "--out", file]);
    // Assess: exit 0, the public key printed, progress and the file named on stderr.
    expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
    expect(err).toContain(`wrote ${file}`);
    const text = readFileSync(file, "utf8");
    const record = JSON.parse(text) as Record<string, string>;
    expect(out).toBe(`${record.signingPublicKey}\n`);
    expect(record).toMatchObject({
      schema: "vettid.runtime-nats-key/v1",
      environment: "staging",
      sealingKeyArn: keyArn,
    });
    expect(record.signingPublicKey).toMatch(/^A[A-Z2-7]{55}$/);
    // No seed anywhere: nkey seeds of accounts start with SA.
    for (const shown of [text, out, err]) expect(shown).not.toMatch(/SA[A-Z2-7]{50,}/);
    // The stacks read exactly this file.
    expect(parseRuntimeNatsKey(text, file, "staging").signingPublicKey).toBe(record.signingPublicKey);

    const blob = Buffer.from(record.ciphertext as string, "base64");
    // Nobody opens it without an attested Recipient, nor under a vault's context.
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { ...RUNTIME_NATS_KEY_CONTEXT } })),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });
    const keys = generateRecipientKeyPair();
    const Recipient = {
      AttestationDocument: await nsm.attest({ publicKey: keys.publicKeySpki }),
      KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" as const,
    };
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { vault: "vlt_a" }, Recipient })),
    ).rejects.toBeDefined();
    // The attested enclave gets the seed of exactly the printed key.
    const opened = await kms.send(
      new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { ...RUNTIME_NATS_KEY_CONTEXT }, Recipient }),
    );
    const seed = openEnvelopedData(opened.CiphertextForRecipient as Uint8Array, keys.privateKey);
    expect(fromSeed(seed).getPublicKey()).toBe(record.signingPublicKey);
  });

  it("refuses to write over a key without --replace, and makes a new key with it", async () => {
    // Prepare
    const file = join(dir, "prod.json");
    writeFileSync(file, "kept\n");
    // Act
    const refused = await run(["--env", "prod", "--key-arn", keyArn, "--out", file]);
    // Assess
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("exists; pass --replace");
    expect(readFileSync(file, "utf8")).toBe("kept\n");
    const replaced = await run(["--env", "prod", "--key-arn", keyArn, "--out", file, "--replace", "--json"]);
    expect(replaced.code).toBe(0);
    expect(JSON.parse(replaced.out)).toMatchObject({ file, sealingKeyArn: keyArn });
    expect(JSON.parse(readFileSync(file, "utf8")).environment).toBe("prod");
  });

  it("writes nothing when KMS refuses, and refuses bad arguments with the usage", async () => {
    // Prepare
    const file = join(dir, "none.json");
    const unknownKey = keyArn.replace(/key\/.*/, "key/00000000-0000-0000-0000-000000000000");
    // Act
    const failed = await run(["--env", "dev", "--key-arn", unknownKey, "--out", file]);
    const badEnv = await run(["--env", "local", "--key-arn", keyArn, "--out", file]);
    const badArn = await run(["--env", "dev", "--key-arn", "alias/vettid", "--out", file]);
    // Assess
    expect(failed.code).toBe(1);
    expect(failed.err).toContain(`KMS Encrypt with ${unknownKey} failed`);
    expect(badEnv.code).toBe(2);
    expect(badArn.code).toBe(2);
    expect(() => readFileSync(file)).toThrow();
  });

  it("writes by default where each environment's stacks read the key", () => {
    for (const env of ["dev", "staging", "prod"] as const) {
      expect(RUNTIME_NATS_KEY_FILES[env]).toBe(envConfig(env).release.runtimeNatsKeyFile);
    }
  });
});
