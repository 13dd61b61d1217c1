/** NATS operator/account/user JWTs for VettID: device permissions, minting, revocation. */
export {
  encodeSystemAccountJwt,
  encodeVettidAccountJwt,
  type Revocations,
  SYSTEM_ACCOUNT_NAME,
  VETTID_ACCOUNT_NAME,
  type VettidAccountInput,
  withRevocation,
} from "./account-jwt";
export { formatCreds } from "./creds";
export { DEVICE_SCOPE_ROLE, deviceScopeTemplate, deviceSigningKeyScope, VAULT_TAG } from "./device-scope";
export {
  ENCLAVE_BUCKETS,
  ENCLAVE_SCOPE_ROLE,
  enclaveInboxPrefix,
  enclavePermissions,
  enclavePublishAllow,
  enclaveScopeTemplate,
  enclaveSigningKeyScope,
} from "./enclave-scope";
export {
  generateNatsKeyHierarchy,
  issueNatsServerAuth,
  type NatsKeyHierarchy,
  type NatsServerAuth,
  renderOperatorConfig,
} from "./hierarchy";
export {
  ACCOUNT_LIMITS,
  DEVICE_USER_LIMITS,
  ENCLAVE_USER_LIMITS,
  REVOCATION_RETENTION_SECONDS,
  SYSTEM_ACCOUNT_LIMITS,
  USER_JWT_TTL,
} from "./limits";
export {
  ALWAYS_DENIED,
  type DevicePermissions,
  devicePermissions,
  HOST_LEASE_READ_API,
  HOST_REPLY_TTL_NS,
  hostPermissions,
  kvJetStreamApi,
  LEASE_BUCKET,
  LEASE_JETSTREAM_API,
  SYNC_JETSTREAM_API,
  SYNC_STREAM,
  SYNC_SUBJECTS,
  WITNESS_BUCKET,
  WITNESS_JETSTREAM_API,
} from "./permissions";
export {
  type AccountSigningKey,
  type DeviceSigningKey,
  isUserPublicKey,
  type MintedUserJwt,
  type MintUserJwtInput,
  mintDeviceUserJwt,
  mintEnclaveUserJwt,
  mintHostUserJwt,
  mintScopedEnclaveUserJwt,
} from "./user-jwt";
