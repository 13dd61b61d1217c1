import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import * as z from "zod";
import { secretsManagerClient } from "../../../functions/shared/aws-clients";
import { createSecretReader } from "../../../functions/shared/secrets";
import { type AwsStandIn, startAwsJsonServer } from "../../../local/aws/json-protocol";
import { createSecretsManagerStandIn } from "../../../local/aws/secrets-manager";

describe("Secrets Manager stand-in (AWS JSON 1.1) with the production SDK client", () => {
  let server: AwsStandIn;
  let client: SecretsManagerClient;
  let edgeClient: SecretsManagerClient;
  beforeAll(async () => {
    server = await startAwsJsonServer([createSecretsManagerStandIn()]);
    client = new SecretsManagerClient({
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    // the client the edge's handlers build, pointed at the stand-in
    edgeClient = secretsManagerClient({
      endpoint: server.endpoint,
      env: { AWS_REGION: "us-east-1" },
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  });
  afterAll(async () => {
    client.destroy();
    edgeClient.destroy();
    await server.stop();
  });

  test("create, read, rotate with AWSCURRENT/AWSPREVIOUS", async () => {
    // Act
    await client.send(new CreateSecretCommand({ Name: "s1", SecretString: "v1" }));
    await client.send(new PutSecretValueCommand({ SecretId: "s1", SecretString: "v2" }));
    const current = await client.send(new GetSecretValueCommand({ SecretId: "s1" }));
    const previous = await client.send(new GetSecretValueCommand({ SecretId: "s1", VersionStage: "AWSPREVIOUS" }));
    // Assess
    expect(current.SecretString).toBe("v2");
    expect(current.VersionStages).toEqual(["AWSCURRENT"]);
    expect(previous.SecretString).toBe("v1");
  });

  test("a missing secret is ResourceNotFoundException, as in AWS", async () => {
    await expect(client.send(new GetSecretValueCommand({ SecretId: "nope" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  test("the edge's cached reader parses and validates JSON secrets", async () => {
    // Prepare
    await client.send(new CreateSecretCommand({ Name: "json", SecretString: JSON.stringify({ a: "b" }) }));
    const reader = createSecretReader(edgeClient);
    // Act + Assess
    await expect(reader.json("json", z.object({ a: z.string() }))).resolves.toEqual({ a: "b" });
    await expect(reader.json("json", z.object({ a: z.number() }))).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
  test("a secret the edge cannot read is UNAVAILABLE, its cause the SDK's error as fromAwsError maps it", async () => {
    // Act
    const error = await createSecretReader(edgeClient)
      .json("no-such-secret", z.object({}))
      .catch((err: unknown) => err);
    // Assess
    expect(error).toMatchObject({ code: "UNAVAILABLE", message: "secret no-such-secret could not be read" });
    const cause = (error as Error).cause;
    expect(cause).toMatchObject({ name: "VettidError", code: "INTERNAL" });
    expect((cause as Error).cause).toBeInstanceOf(ResourceNotFoundException);
  });
  test("a secret that is not JSON is refused without any of its text in the error or its causes", async () => {
    // Prepare: a raw seed stored where a JSON object was expected
    const seed = "SOALU7LPGJK2BDF7IHD7UZT6ZM23UMKYLGJLNN3UAGOAM4QO2NS6XBL5VQ";
    await client.send(new CreateSecretCommand({ Name: "raw-seed", SecretString: seed }));
    const reader = createSecretReader(edgeClient);
    // Act
    const error = await reader.json("raw-seed", z.object({})).catch((err: unknown) => err);
    // Assess
    const texts: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) texts.push(e.message, String(e.stack));
    expect(error).toMatchObject({ code: "UNAVAILABLE" });
    expect(texts.join("\n")).not.toContain(seed.slice(0, 6));
  });
});
