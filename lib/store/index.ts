/** Persistence of the REST edge: the store port, its records, and the DynamoDB adapter. */
export { createDynamoDbStore, type DynamoDbStoreOptions } from "./dynamodb-store";
export { COUNTER_PREFIXES, edgeTableDefinition, itemKey, TABLE_KEYS } from "./keys";
export {
  DEVICE_STATUS,
  type DeviceRecord,
  type DeviceStatus,
  type EnrollmentWrite,
  INVITATION_STATUS,
  type InvitationEnrollment,
  type InvitationRecord,
  type InvitationStatus,
  type Page,
  type RevocationState,
  type UserRecord,
  type VaultRecord,
} from "./records";
export type { EdgeStore, NatsKeyReservation } from "./store";
