import { settings } from "../lib/config";
import { natsUrlProblem } from "../lib/nats-tls";
import { HOST_ID_PATTERN, INSTANCE_ARN_PATTERN } from "../lib/store";
import { isSubjectId } from "../lib/subjects";
import * as z from "../lib/zod";
import { MAX_TUNNEL_TARGETS, NATS_TUNNEL_IDLE_TIMEOUT_MS, type TunnelTarget } from "./channels/tunnel";

const commaList = z.pipe(
  z.string(),
  z.transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ),
);

/** `host:port` with a DNS name or an IPv4 address and a port 1..65535. */
const TUNNEL_TARGET_PATTERN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*):(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/;

/**
 * Why a list of tunnel addresses is refused, or undefined when it is 1..{@link MAX_TUNNEL_TARGETS}
 * distinct `host:port` (host names compared without case, as DNS does).
 */
function tunnelTargetsProblem(targets: readonly string[]): string | undefined {
  if (targets.length === 0) return "must name at least one host:port";
  if (targets.length > MAX_TUNNEL_TARGETS) {
    return `names ${targets.length} addresses, at most ${MAX_TUNNEL_TARGETS}`;
  }
  const bad = targets.filter((t) => !TUNNEL_TARGET_PATTERN.test(t));
  if (bad.length > 0) return `must be host:port, comma-separated: ${bad.join(", ")}`;
  const seen = new Set<string>();
  const twice = targets.filter((t) => {
    const key = t.toLowerCase();
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
  if (twice.length > 0) return `names an address twice: ${twice.join(", ")}`;
  return undefined;
}

/** `host:port` addresses, comma-separated, checked by {@link tunnelTargetsProblem}. */
const tunnelTargetList = z.pipe(
  commaList,
  z.array(z.string()).check(
    z.superRefine((targets, ctx) => {
      const problem = tunnelTargetsProblem(targets);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
  ),
);

const devOnlyNames = [
  "VETTID_S3_ENDPOINT",
  "VETTID_SECRETS_ENDPOINT",
  "VETTID_ATTESTATION_ROOT_FILE",
  "VETTID_DYNAMODB_ENDPOINT",
] as const;

/**
 * The proxy's settings, from the environment. Every field says whether it is
 * required and what it means for security; a bad setting stops the process with
 * one line (exit 78).
 */
export const ProxyConfigSchema = z
  .object({
    /** Required. Deployment environment; endpoint overrides and dev roots only in local / dev. */
    VETTID_ENV: settings.environment,
    /**
     * Required. Unix socket the enclave side connects to. Production: the vsock
     * bridge (docs/decisions/0030-vsock-bridging.md) forwards the enclave's vsock
     * port to this path; keep it in a directory only the proxy's user can enter.
     */
    VETTID_PROXY_SOCKET: z.string().check(z.minLength(1), z.maxLength(107)),
    /** Optional (default 8081). Loopback port of the health endpoint. */
    VETTID_PROXY_HEALTH_PORT: z._default(settings.port, 8081),
    /**
     * Required. NATS server URLs, comma-separated. Outside local / dev every one must be
     * `tls://` (the nodes' client port inside the VPC); plaintext `nats://` is for the
     * loopback topology only, and a list never mixes the two.
     */
    VETTID_NATS_URL: z.pipe(commaList, z.array(z.string().check(z.regex(/^(nats|tls):\/\//))).check(z.minLength(1))),
    /**
     * Required outside local / dev. PEM file of the CA the NATS servers' certificates must
     * chain to (the environment's private CA, decision 0064); it is the only root the proxy
     * trusts for NATS, and each certificate must name the host of its URL. Public data.
     */
    VETTID_NATS_CA_FILE: z.optional(z.string().check(z.minLength(1))),
    /**
     * Optional (default false). TLS before the server's INFO (nats-server `handshake_first`,
     * which the AWS nodes run so that the NLB can re-encrypt to them); must match the servers.
     */
    VETTID_NATS_TLS_FIRST: z._default(settings.flag, false),
    /** Optional. The host's NATS credentials file (user JWT + nkey seed). Secret: mode 0600. */
    VETTID_NATS_CREDS: z.optional(z.string().check(z.minLength(1))),
    /**
     * Optional. Secrets Manager id of the host's NATS credentials (the creds file text);
     * read once at start with the instance role. Use this or VETTID_NATS_CREDS.
     */
    VETTID_NATS_CREDENTIALS_SECRET_ID: z.optional(z.string().check(z.minLength(1))),
    /**
     * Required. Vault ids this host serves, comma-separated, or `*` for all (local /
     * dev only). The proxy bridges only their subjects and blobs.
     */
    VETTID_PROXY_VAULTS: z.pipe(
      commaList,
      z
        .array(z.string().check(z.refine((v) => v === "*" || isSubjectId(v), "is not a vault id")))
        .check(z.minLength(1)),
    ),
    /** Required. AWS region of KMS and S3. */
    AWS_REGION: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/)),
    /**
     * Optional (default `kms.<AWS_REGION>.amazonaws.com:443`). The one address the
     * enclave's KMS tunnel reaches, `host:port`. The enclave runs TLS through it to the
     * KMS name pinned in its own measured configuration and verifies the certificate
     * itself, so a wrong target only fails; outside local / dev it must be the regional
     * KMS endpoint (or its FIPS variant) on port 443.
     */
    VETTID_KMS_TUNNEL_TARGET: z.optional(z.string().check(z.regex(TUNNEL_TARGET_PATTERN, "must be host:port"))),
    /**
     * Optional. The NATS nodes' client ports the runtime's own connection tunnels to,
     * `host:port`, comma-separated, 1..8 distinct (decision 0072); without it the proxy
     * refuses `nats` tunnels. Each open tries them in turn from the one that last
     * accepted, so a lost node costs the runtime one reconnect. The runtime runs TLS
     * through the tunnel to the server name of its measured configuration and checks the
     * certificate against the measured CA, so a wrong target only fails.
     */
    VETTID_NATS_TUNNEL_TARGET: z.optional(tunnelTargetList),
    /**
     * Optional. File with the runtime's sealed NATS signing key: the base64 text of a KMS
     * ciphertext of the scoped signing key's seed (decision 0072), read each time the
     * enclave asks. The host cannot open it; the runtime checks what it unwraps against
     * the public key of its measured configuration.
     */
    VETTID_RUNTIME_NATS_KEY_FILE: z.optional(z.string().check(z.minLength(1))),
    /** Required. Bucket of sealed vault state (objects under `vaults/`). */
    VETTID_BLOB_BUCKET: z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)),
    /** The PCR manifest (general JWS JSON) as a file; re-read on every enclave connection. */
    VETTID_MANIFEST_FILE: z.optional(z.string().check(z.minLength(1))),
    /**
     * The PCR manifest's URL (the CDN path); fetched and re-verified at most once a
     * minute. Exactly one of VETTID_MANIFEST_FILE and VETTID_MANIFEST_URL is required.
     */
    VETTID_MANIFEST_URL: z.optional(z.url()),
    /**
     * Required. The pinned release key set (JSON `{threshold, keys: [{owner, jwk}]}`):
     * manifests need signatures of its threshold from distinct owners (decision 0067).
     */
    VETTID_MANIFEST_KEY_FILE: z.string().check(z.minLength(1)),
    /**
     * Optional (default 0). The serial of the manifest the stacks verified and deployed
     * with this host: an older one is refused from the first load on, so a restarted
     * host cannot be served a rolled-back manifest.
     */
    VETTID_MANIFEST_MIN_SERIAL: z._default(z.coerce.number().check(z.int(), z.gte(0)), 0),
    /** Local / dev only. S3 endpoint of a stand-in (path-style addressing). */
    VETTID_S3_ENDPOINT: z.optional(z.url()),
    /** Local / dev only. Secrets Manager endpoint of a stand-in. */
    VETTID_SECRETS_ENDPOINT: z.optional(z.url()),
    /** Optional (default `VettID/VaultHost`). CloudWatch namespace of the host metrics. */
    VETTID_METRICS_NAMESPACE: z._default(z.string().check(z.minLength(1), z.maxLength(255)), "VettID/VaultHost"),
    /** Optional. Auto Scaling group name, the `AutoScalingGroupName` dimension of `EnclaveHealthy`. */
    VETTID_AUTOSCALING_GROUP: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
    /**
     * Local / dev only. PEM of the dev attestation root (simulated NSM). Absent = the
     * pinned AWS Nitro root only, which is the only acceptable production setting.
     */
    VETTID_ATTESTATION_ROOT_FILE: z.optional(z.string().check(z.minLength(1))),
    /**
     * Required outside local / dev (with VETTID_TABLE_NAME). This host's id in the host
     * registry, the EC2 instance id in AWS: enrollment assigns new vaults to live hosts.
     */
    VETTID_HOST_ID: z.optional(z.string().check(z.regex(HOST_ID_PATTERN, "must be a host id (e.g. an instance id)"))),
    /**
     * Required outside local / dev; in AWS (dev too) whenever VETTID_HOST_ID is an instance
     * id. This instance's ARN, `arn:aws:ec2:<AWS_REGION>:<account>:instance/<VETTID_HOST_ID>`
     * (written by the user data): the heartbeat goes to the partition `HOST#<arn>`, the only
     * one the host role may write (its `dynamodb:LeadingKeys` is `HOST#${ec2:SourceInstanceARN}`).
     */
    VETTID_HOST_ARN: z.optional(z.string().check(z.regex(INSTANCE_ARN_PATTERN, "must be an EC2 instance ARN"))),
    /**
     * Required outside local / dev (with VETTID_HOST_ID). The edge's DynamoDB table, where
     * the proxy writes this host's heartbeat; the host's IAM policy allows only the
     * host's own `HOST#<instance ARN>` partition.
     */
    VETTID_TABLE_NAME: z.optional(z.string().check(z.minLength(3), z.maxLength(255))),
    /** Local / dev only. DynamoDB endpoint of a stand-in (dynalite). */
    VETTID_DYNAMODB_ENDPOINT: z.optional(z.url()),
    /** Optional (default 10,000). How long a shutdown waits for in-flight work, in ms. */
    VETTID_PROXY_DRAIN_MS: z._default(settings.positiveInt, 10_000),
  })
  .check(
    z.superRefine((config, ctx) => {
      if ((config.VETTID_MANIFEST_FILE === undefined) === (config.VETTID_MANIFEST_URL === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: ["VETTID_MANIFEST_FILE"],
          message: "or VETTID_MANIFEST_URL is required (one of them)",
        });
      }
      if (config.VETTID_NATS_CREDS !== undefined && config.VETTID_NATS_CREDENTIALS_SECRET_ID !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["VETTID_NATS_CREDS"],
          message: "and VETTID_NATS_CREDENTIALS_SECRET_ID are exclusive",
        });
      }
      if ((config.VETTID_HOST_ID === undefined) !== (config.VETTID_TABLE_NAME === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: ["VETTID_HOST_ID"],
          message: "and VETTID_TABLE_NAME go together (the host registry needs both)",
        });
      }
      const arn = config.VETTID_HOST_ARN;
      if (arn !== undefined) {
        if (config.VETTID_HOST_ID === undefined || !arn.endsWith(`:instance/${config.VETTID_HOST_ID}`)) {
          ctx.addIssue({ code: "custom", path: ["VETTID_HOST_ARN"], message: "must be the ARN of VETTID_HOST_ID" });
        } else if (arn.split(":")[3] !== config.AWS_REGION) {
          ctx.addIssue({ code: "custom", path: ["VETTID_HOST_ARN"], message: "must be in AWS_REGION" });
        }
      } else if (config.VETTID_HOST_ID?.startsWith("i-")) {
        ctx.addIssue({
          code: "custom",
          path: ["VETTID_HOST_ARN"],
          message: "is required for an EC2 host (its heartbeat partition is its instance ARN)",
        });
      }
      const natsProblem = natsUrlProblem(config.VETTID_NATS_URL, config.VETTID_ENV);
      if (natsProblem !== undefined) ctx.addIssue({ code: "custom", path: ["VETTID_NATS_URL"], message: natsProblem });
      const dev = config.VETTID_ENV === "local" || config.VETTID_ENV === "dev";
      if (dev) return;
      if (config.VETTID_NATS_CA_FILE === undefined) {
        ctx.addIssue({ code: "custom", path: ["VETTID_NATS_CA_FILE"], message: "is required outside local or dev" });
      }
      // nats.js upgrades an IP-addressed server after INFO with no server name, so Node checks its
      // certificate against "localhost": outside local / dev, such servers are reached TLS first.
      if (
        !config.VETTID_NATS_TLS_FIRST &&
        config.VETTID_NATS_URL.some((u) => /^tls:\/\/\d+\.\d+\.\d+\.\d+[:/]?/.test(u))
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["VETTID_NATS_URL"],
          message: "names servers by IP address: they need VETTID_NATS_TLS_FIRST=true outside local or dev",
        });
      }
      for (const name of ["VETTID_HOST_ID", "VETTID_HOST_ARN", "VETTID_TABLE_NAME"] as const) {
        if (config[name] === undefined) {
          ctx.addIssue({ code: "custom", path: [name], message: "is required outside local or dev" });
        }
      }
      for (const name of devOnlyNames) {
        if (config[name] !== undefined)
          ctx.addIssue({ code: "custom", path: [name], message: "is allowed only in local or dev" });
      }
      if (config.VETTID_MANIFEST_URL?.startsWith("http:")) {
        ctx.addIssue({ code: "custom", path: ["VETTID_MANIFEST_URL"], message: "must be https outside local or dev" });
      }
      const target = config.VETTID_KMS_TUNNEL_TARGET;
      if (target !== undefined && !regionalKmsTargets(config.AWS_REGION).includes(target)) {
        ctx.addIssue({
          code: "custom",
          path: ["VETTID_KMS_TUNNEL_TARGET"],
          message: `must be the regional KMS endpoint (${regionalKmsTargets(config.AWS_REGION).join(" or ")}) outside local or dev`,
        });
      }
      // Every host serving every vault is safe only where the enclave takes the vault
      // leases, over its own NATS connection: the tunnel to NATS and its sealed key.
      if (
        config.VETTID_PROXY_VAULTS.includes("*") &&
        (config.VETTID_NATS_TUNNEL_TARGET === undefined || config.VETTID_RUNTIME_NATS_KEY_FILE === undefined)
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["VETTID_PROXY_VAULTS"],
          message:
            "may be * outside local or dev only with VETTID_NATS_TUNNEL_TARGET and VETTID_RUNTIME_NATS_KEY_FILE (the enclave's own connection takes the vault leases)",
        });
      }
    }),
  );

export type ProxyConfig = z.infer<typeof ProxyConfigSchema>;

/** The regional KMS endpoints on 443 that production may tunnel to. */
function regionalKmsTargets(region: string): string[] {
  return [`kms.${region}.amazonaws.com:443`, `kms-fips.${region}.amazonaws.com:443`];
}

/** The KMS tunnel's upstream address: the configured one, or the regional endpoint. */
export function kmsTunnelTarget(config: Pick<ProxyConfig, "AWS_REGION" | "VETTID_KMS_TUNNEL_TARGET">): {
  host: string;
  port: number;
} {
  return hostPort(config.VETTID_KMS_TUNNEL_TARGET ?? (regionalKmsTargets(config.AWS_REGION)[0] as string));
}

/**
 * The runtime's NATS tunnel upstream, if the host has one configured: the nodes in the
 * configured order, with the NATS idle time.
 */
export function natsTunnelTarget(
  config: Pick<ProxyConfig, "VETTID_NATS_TUNNEL_TARGET">,
): { targets: TunnelTarget[]; idleTimeoutMs: number } | undefined {
  const targets = config.VETTID_NATS_TUNNEL_TARGET;
  if (targets === undefined) return undefined;
  return { targets: targets.map(hostPort), idleTimeoutMs: NATS_TUNNEL_IDLE_TIMEOUT_MS };
}

/** Splits a `host:port` the schema accepted. */
function hostPort(target: string): { host: string; port: number } {
  const split = target.lastIndexOf(":");
  return { host: target.slice(0, split), port: Number(target.slice(split + 1)) };
}
