import { isSubjectId, SUBJECT_ROOT } from "../subjects";
import { ENCLAVE_USER_LIMITS } from "./limits";
import {
  type DevicePermissions,
  LEASE_BUCKET,
  LEASE_JETSTREAM_API,
  SYNC_JETSTREAM_API,
  SYNC_STREAM,
  SYNC_SUBJECTS,
  WITNESS_BUCKET,
  WITNESS_JETSTREAM_API,
} from "./permissions";

/**
 * The role name of the account's scoped runtime signing key (the account JWT's
 * `signing_keys` entry of kind `user_scope`); its seed is sealed for attested enclaves
 * (decision 0072).
 */
export const ENCLAVE_SCOPE_ROLE = "vault-runtime";

/** The buckets the runtime's own connection uses: the version witness and the vault leases. */
export const ENCLAVE_BUCKETS = [WITNESS_BUCKET, LEASE_BUCKET] as const;

/**
 * The inbox prefix of the runtime user `name`: its JetStream API replies arrive under
 * it, never under `_INBOX.>`, which a host's proxy user may subscribe to.
 * @throws TypeError when `name` is not one subject token.
 */
export function enclaveInboxPrefix(name: string): string {
  if (!isSubjectId(name)) throw new TypeError("a runtime's NATS name must be a subject id");
  return `${SUBJECT_ROOT}.runtime.${name}.inbox`;
}

/**
 * The publish permissions of the runtime: the KV API and `$KV` subjects of its two
 * buckets (no direct gets of the witness: its reads go to the stream's leader), and the change log's API and subjects (decision 0073).
 */
export function enclavePublishAllow(): string[] {
  return [
    ...new Set([...WITNESS_JETSTREAM_API, ...LEASE_JETSTREAM_API, ...SYNC_JETSTREAM_API]),
    ...ENCLAVE_BUCKETS.map((b) => `$KV.${b}.>`),
    SYNC_SUBJECTS,
  ];
}

/**
 * Permissions of the vault runtime's own NATS user (decisions 0070–0073): the witness
 * and lease buckets' KV API and their `$KV` subjects, the change log stream's, replies to its own inbox
 * ({@link enclaveInboxPrefix}), nothing of devices' or hosts' subjects: what the scoped
 * runtime key's template grants, spelled out for one name (the local topology's dev
 * JWT, signed by an unscoped key, carries it). `createBuckets` adds creating exactly
 * those streams (the local runtime makes its own; a deployment provisions
 * them).
 */
export function enclavePermissions(options: { name: string; createBuckets?: boolean }): DevicePermissions {
  return {
    pub: {
      allow: [
        ...enclavePublishAllow(),
        ...(options.createBuckets
          ? [...ENCLAVE_BUCKETS.map((b) => `$JS.API.STREAM.CREATE.KV_${b}`), `$JS.API.STREAM.CREATE.${SYNC_STREAM}`]
          : []),
      ],
      deny: ["$SYS.>"],
    },
    sub: { allow: [`${enclaveInboxPrefix(options.name)}.>`], deny: ["$SYS.>"] },
  };
}

/**
 * The runtime's permissions as a template of the scoped signing key: nats-server fills
 * `{{name()}}` with the user JWT's name and applies the result instead of anything the
 * JWT says, so a JWT this key signed reaches the two buckets and its own inbox, whoever
 * minted it. Expanded for one name it equals `enclavePermissions({ name })` without
 * bucket creation (tests/unit/lib/nats-auth). No stream creation: a deployment
 * provisions the buckets.
 */
export function enclaveScopeTemplate(): DevicePermissions {
  return {
    pub: { allow: enclavePublishAllow(), deny: ["$SYS.>"] },
    sub: { allow: [`${SUBJECT_ROOT}.runtime.{{name()}}.inbox.>`], deny: ["$SYS.>"] },
  };
}

/**
 * The account JWT's `signing_keys` entry for the runtime signing key: the template plus
 * {@link ENCLAVE_USER_LIMITS}, no bearer tokens, standard connections only (nats-server
 * 2.9 replaces a scoped user's permissions and limits with the template).
 */
export function enclaveSigningKeyScope(publicKey: string) {
  const template = enclaveScopeTemplate();
  return {
    kind: "user_scope" as const,
    key: publicKey,
    role: ENCLAVE_SCOPE_ROLE,
    template: {
      pub: template.pub,
      sub: template.sub,
      ...ENCLAVE_USER_LIMITS,
      bearer_token: false,
      allowed_connection_types: ["STANDARD" as const],
    },
  };
}
