/**
 * The deployment's JetStream assets as data (decisions 0070, 0071, 0073): the witness
 * and lease KV buckets and the sync stream, with the stream configuration the server
 * should hold for each, and the comparison of that with what it holds.
 */
export {
  type ExpectedStreamConfig,
  type JetStreamAsset,
  jetStreamLayout,
  type KvAsset,
  layoutDifferences,
  MAX_REPLICAS,
  type StreamAsset,
  SYNC_EVENTS_PER_VAULT,
  SYNC_HEADER_ALLOWANCE_BYTES,
  SYNC_RETENTION_DAYS,
  syncStreamConfig,
} from "./layout";
