import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { VettidError } from "../../lib/errors";

/** A request as the edge client sends it: what SigV4 covers. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** Adds authentication headers to an operator request. */
export type RequestSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

/** Options of {@link sigV4Signer}. */
export interface SigV4Options {
  region: string;
  /** Default: the standard AWS credential chain (environment, profile and SSO, web identity, container, instance role). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Default `execute-api` (API Gateway with IAM authorization). */
  service?: string;
  /** Signing time, for test vectors only. */
  now?: () => Date;
}

/**
 * Signs operator requests to a deployed REST edge with AWS Signature Version 4
 * (`@smithy/signature-v4`, the SDK's own signer) using credentials from the standard
 * chain, as API Gateway's IAM authorization (`AWS_IAM` routes) requires.
 *
 * @example
 * const sign = sigV4Signer({ region: "eu-central-1" });
 * const headers = await sign({ method: "POST", url, headers: { "content-type": "application/json" }, body });
 */
export function sigV4Signer(options: SigV4Options): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? "execute-api",
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: false,
  });
  return async (request) => {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of request.url.searchParams) {
      const existing = query[name];
      query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    let signed: { headers: Record<string, string> };
    try {
      signed = await signer.sign(
        {
          method: request.method,
          protocol: request.url.protocol,
          hostname: request.url.hostname,
          ...(request.url.port ? { port: Number(request.url.port) } : {}),
          path: request.url.pathname,
          query,
          headers: { ...request.headers, host: request.url.host },
          ...(request.body !== undefined ? { body: request.body } : {}),
        },
        options.now ? { signingDate: options.now() } : {},
      );
    } catch (err) {
      throw new VettidError(
        "UNAUTHENTICATED",
        `no AWS credentials to sign with (the standard chain: environment, profile, SSO, instance role): ${(err as Error).message}`,
        { cause: err },
      );
    }
    const { host: _host, ...headers } = signed.headers;
    return headers;
  };
}

/**
 * The region to sign for: `explicit`, else the one an API Gateway URL names
 * (`<id>.execute-api.<region>.amazonaws.com`), else `AWS_REGION` / `AWS_DEFAULT_REGION`.
 */
export function signingRegion(api: URL, env: NodeJS.ProcessEnv, explicit?: string): string | undefined {
  if (explicit) return explicit;
  const named = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(api.hostname);
  return named?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
}
