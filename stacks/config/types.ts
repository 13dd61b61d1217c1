/** Per-environment settings of the CDKTF app; one file per environment beside this one. */

/** Names of the environments the stacks deploy (the embedded `local` topology has none). */
export const DEPLOY_ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type DeployEnvironment = (typeof DEPLOY_ENVIRONMENTS)[number];

/** Where Terraform keeps the state of each stack. */
export type BackendConfig =
  | {
      /** State files under `cdktf.out/` on the machine that runs terraform; dev only. */
      kind: "local";
    }
  | {
      kind: "s3";
      bucket: string;
      region: string;
      /** State of stack `<name>` lives at `<keyPrefix>/<name>.tfstate`. */
      keyPrefix: string;
      /** Locking: S3-native lock files (Terraform ≥ 1.10) or a DynamoDB lock table. */
      lock: { kind: "lockfile" } | { kind: "dynamodb"; table: string };
    };

export interface EnvConfig {
  name: DeployEnvironment;
  /** Guard: Terraform refuses to touch any other account (provider `allowed_account_ids`). */
  accountId: string;
  region: string;
  /** Exactly three AZs: the NATS cluster needs a quorum that survives one AZ loss. */
  availabilityZones: readonly [string, string, string];
  /** A /16 split into /20 subnets (3 public for the NLB, 3 private for everything else). */
  vpcCidr: string;
  backend: BackendConfig;
  /** CloudWatch Logs retention for every log group. */
  logRetentionDays: number;
  /** Protects the table, buckets and keys against `terraform destroy` in shared environments. */
  deletionProtection: boolean;
  api: {
    /** Steady-state requests per second across the API (stage default route settings). */
    throttlingRateLimit: number;
    throttlingBurstLimit: number;
    /** Lambda memory; 512 MiB gives the crypto-heavy handlers a full vCPU share for cold starts. */
    lambdaMemoryMiB: number;
    lambdaTimeoutSeconds: number;
    /** Lifetime of the device NATS user JWTs the edge mints (lib/nats-auth bounds: 60 s – 12 h). */
    jwtTtlSeconds: number;
  };
  messaging: {
    instanceType: string;
    /** SSM parameter that holds the NATS node AMI id (written by the AMI build, ami/). */
    amiParameter: string;
    /** JetStream EBS volume per node (gp3). */
    jetstreamVolumeGiB: number;
    /** ACM certificate of the public NATS endpoint (NLB TLS listener). */
    tlsCertificateArn: string;
    /** Hostname devices use (a DNS record to the NLB, managed with the certificate). */
    publicHostname: string;
  };
  vaultFleet: {
    /** Must support Nitro Enclaves (e.g. m6i/c6i/r6i, ≥ 4 vCPUs: 2 go to the enclave). */
    instanceType: string;
    /** SSM parameter that holds the vault host AMI id (written by the AMI build). */
    amiParameter: string;
    minSize: number;
    maxSize: number;
    desiredCapacity: number;
    /** Memory and vCPUs given to the enclave (written to /etc/nitro_enclaves/allocator.yaml). */
    enclaveMemoryMiB: number;
    enclaveCpuCount: number;
    /**
     * Vault ids each host's vsock proxy serves (`VETTID_PROXY_VAULTS`), or `["*"]` for all.
     * With `*`, the vault runtimes' leases decide which host answers (decision 0071); the
     * proxy accepts `*` outside local / dev only with the enclave's NATS tunnel and sealed
     * key (`VETTID_NATS_TUNNEL_TARGET`, `VETTID_RUNTIME_NATS_KEY_FILE`).
     */
    servedVaults: readonly string[];
  };
  release: {
    /**
     * Manifest file (general JWS JSON) relative to the repository root; `--manifest`
     * overrides it. Every earlier manifest of the log sits beside it as
     * `manifests/<serial>.json`: the stacks verify the chain and publish the history.
     */
    manifestFile: string;
    /**
     * The pinned release key set (JSON `{threshold, keys: [{owner, jwk}]}`) the first
     * manifest of the log must be signed with, relative to the repository root: M of N
     * keys of distinct owners, not all in this AWS account (decision 0067).
     */
    releaseKeySetFile: string;
    /**
     * The vault runtime's sealed NATS signing key (`bin/vettid release runtime-nats-key`,
     * decision 0076), relative to the repository root. Required beside a release manifest
     * outside dev: without it the hosts cannot give their enclaves the connection that
     * takes the vault leases, and their proxies refuse to serve every vault.
     */
    runtimeNatsKeyFile: string;
    /**
     * The release role (the release pipeline's OIDC role, `AWS_RELEASE_ROLE_ARN` of the deploy
     * workflow): signs manifests with the KMS signing key, and is the only principal that may
     * replace the key policies of the sealing key and the signing key, so it applies the
     * release and keys stacks (decision 0057).
     */
    signerRoleArn: string;
  };
  /** Alarm notifications (SNS email subscription); none when empty. */
  alarmEmail: string;
}
