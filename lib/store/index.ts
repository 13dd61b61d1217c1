/**
 * Persistence of the REST edge: the store port, its records, the DynamoDB adapter,
 * and the host registry's heartbeat item (written by each host's vsock proxy).
 */
export { createDynamoDbStore, type DynamoDbStoreOptions } from "./dynamodb-store";
export {
  HEARTBEAT_ATTRIBUTES,
  HOST_HEARTBEAT,
  HOST_ID_PATTERN,
  type HostHeartbeat,
  heartbeatUpdate,
  hostIdOfPartition,
  INSTANCE_ARN_PATTERN,
} from "./host-registry";
export { COUNTER_PREFIXES, edgeTableDefinition, itemKey, TABLE_INDEX, TABLE_KEYS } from "./keys";
export {
  DEVICE_STATUS,
  type DeviceRecord,
  type DeviceStatus,
  type EnrollmentWrite,
  INVITATION_STATUS,
  type InvitationEnrollment,
  type InvitationPairing,
  type InvitationRecord,
  type InvitationStatus,
  type Page,
  type RevocationState,
  type UserRecord,
  type VaultRecord,
} from "./records";
export type { EdgeStore, NatsKeyReservation } from "./store";
