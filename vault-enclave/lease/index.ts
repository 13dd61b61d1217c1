export {
  DEFAULT_LEASE_TIMING,
  decideLease,
  LEASE_CLOCK_SKEW_MS,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  type LeaseDecision,
  type LeaseTiming,
  mayServe,
} from "./decide";
export { LeaseKeeper, type LeaseKeeperOptions, type LeaseTable } from "./keeper";
export {
  type AcquireResult,
  type HeldLease,
  KvLeaseTable,
  type KvLeaseTableOptions,
  LEASE_BUCKET,
  openLeaseBucket,
} from "./kv-lease-table";
export {
  decodeLeaseRecord,
  encodeLeaseRecord,
  LEASE_RECORD_VERSION,
  type LeaseRecord,
  MAX_LEASE_RECORD_BYTES,
  newRuntimeId,
  RUNTIME_ID,
} from "./record";
