import { randomUUID } from "node:crypto";
import { type AwsJsonService, AwsServiceError } from "./json-protocol";
import type { StateFile } from "./state-file";

/**
 * Dev-only Secrets Manager stand-in (AWS JSON 1.1, target prefix `secretsmanager`):
 * CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret with AWSCURRENT /
 * AWSPREVIOUS staging, in memory or kept in a state file. The production `@aws-sdk/client-secrets-manager`
 * runs against it unchanged with `endpoint` set.
 */
export interface SecretsManagerStandIn extends AwsJsonService {
  /** Sets a secret directly (what an operator's bootstrap would do). */
  seed(name: string, value: string): void;
}

interface Version {
  id: string;
  value: string;
  createdAt: number;
  stages: Set<string>;
}

interface Secret {
  name: string;
  arn: string;
  createdAt: number;
  versions: Version[];
}

/** The stand-in's saved state (stages as arrays; dev secrets only). */
export interface SecretsState {
  secrets: (Omit<Secret, "versions"> & { versions: (Omit<Version, "stages"> & { stages: string[] })[] })[];
}

const REGION = "us-east-1";
const ACCOUNT = "000000000000";
/** The same limit AWS applies to SecretString. */
const MAX_SECRET_BYTES = 65_536;

function requireString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== "string" || value.length === 0) {
    throw new AwsServiceError("InvalidParameterException", `${key} is required`);
  }
  return value;
}

/**
 * Creates the stand-in: empty, or with what `stateFile` holds (./state-file.ts), which
 * is then saved after every CreateSecret, PutSecretValue and seed, before the answer.
 */
export function createSecretsManagerStandIn(stateFile?: StateFile<SecretsState>): SecretsManagerStandIn {
  const secrets = new Map<string, Secret>();
  for (const secret of stateFile?.load()?.secrets ?? []) {
    secrets.set(secret.name, {
      ...secret,
      versions: secret.versions.map((v) => ({ ...v, stages: new Set(v.stages) })),
    });
  }
  const save = () =>
    stateFile?.save({
      secrets: [...secrets.values()].map((s) => ({
        ...s,
        versions: s.versions.map((v) => ({ ...v, stages: [...v.stages] })),
      })),
    });

  const find = (id: string): Secret => {
    const secret = secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id);
    if (!secret)
      throw new AwsServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return secret;
  };

  const addVersion = (secret: Secret, value: unknown, token: unknown): Version => {
    if (typeof value !== "string") throw new AwsServiceError("InvalidParameterException", "SecretString is required");
    if (Buffer.byteLength(value) > MAX_SECRET_BYTES) {
      throw new AwsServiceError("InvalidParameterException", "SecretString exceeds 65536 bytes");
    }
    const id = typeof token === "string" && token.length >= 32 ? token : randomUUID();
    const existing = secret.versions.find((v) => v.id === id);
    if (existing) {
      if (existing.value !== value) {
        throw new AwsServiceError("ResourceExistsException", "a version with this ClientRequestToken already exists");
      }
      return existing;
    }
    for (const v of secret.versions) {
      v.stages.delete("AWSPREVIOUS");
      if (v.stages.delete("AWSCURRENT")) v.stages.add("AWSPREVIOUS");
    }
    const version: Version = { id, value, createdAt: Date.now(), stages: new Set(["AWSCURRENT"]) };
    secret.versions.push(version);
    // AWS keeps a bounded number of versions; keep the staged ones
    secret.versions = secret.versions.filter((v) => v.stages.size > 0);
    return version;
  };

  const create = (name: string): Secret => {
    const secret: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomUUID().slice(0, 6)}`,
      createdAt: Date.now(),
      versions: [],
    };
    secrets.set(name, secret);
    return secret;
  };

  return {
    targetPrefix: "secretsmanager",
    seed(name, value) {
      addVersion(secrets.get(name) ?? create(name), value, undefined);
      save();
    },
    operations: {
      CreateSecret(input) {
        const name = requireString(input, "Name");
        if (secrets.has(name))
          throw new AwsServiceError("ResourceExistsException", `the secret ${name} already exists`);
        const secret = create(name);
        const out: Record<string, unknown> = { ARN: secret.arn, Name: name };
        if (input.SecretString !== undefined) {
          out.VersionId = addVersion(secret, input.SecretString, input.ClientRequestToken).id;
        }
        save();
        return out;
      },
      GetSecretValue(input) {
        const secret = find(requireString(input, "SecretId"));
        const stage = typeof input.VersionStage === "string" ? input.VersionStage : "AWSCURRENT";
        const version =
          typeof input.VersionId === "string"
            ? secret.versions.find((v) => v.id === input.VersionId)
            : secret.versions.find((v) => v.stages.has(stage));
        if (!version) {
          throw new AwsServiceError(
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret value.",
          );
        }
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.id,
          SecretString: version.value,
          VersionStages: [...version.stages],
          CreatedDate: version.createdAt / 1000,
        };
      },
      PutSecretValue(input) {
        const secret = find(requireString(input, "SecretId"));
        const version = addVersion(secret, input.SecretString, input.ClientRequestToken);
        save();
        return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
      },
      DescribeSecret(input) {
        const secret = find(requireString(input, "SecretId"));
        return {
          ARN: secret.arn,
          Name: secret.name,
          CreatedDate: secret.createdAt / 1000,
          VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.id, [...v.stages]])),
        };
      },
    },
  };
}
