import { VettidError } from "../errors";

/** AWS credentials as SigV4 needs them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary credentials (always in Lambda). */
  sessionToken?: string;
}

/** Returns the credentials to sign the next request with. */
export type CredentialProvider = () => Promise<AwsCredentials>;

/**
 * The credentials Lambda puts in every function's environment (the execution
 * role's temporary credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`). The edge runs only in Lambda and the local topology, which
 * sets the same variables, so it needs no other source.
 */
export function credentialsFromEnvironment(env: Record<string, string | undefined> = process.env): CredentialProvider {
  return async () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new VettidError("CONFIG_INVALID", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    }
    const credentials: AwsCredentials = { accessKeyId, secretAccessKey };
    if (env.AWS_SESSION_TOKEN) credentials.sessionToken = env.AWS_SESSION_TOKEN;
    return credentials;
  };
}

/** Fixed credentials (tests and the local stand-ins). */
export function staticCredentials(credentials: AwsCredentials): CredentialProvider {
  return async () => credentials;
}
