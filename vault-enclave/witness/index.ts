export { KvWitness, type KvWitnessOptions, openWitnessBucket, WITNESS_BUCKET } from "./kv-witness";
export {
  decodeWitnessRecord,
  encodeWitnessRecord,
  MAX_WITNESS_RECORD_BYTES,
  WITNESS_RECORD_VERSION,
  type WitnessRecord,
} from "./record";
export {
  assertWitnessed,
  sameWitnessed,
  type VersionWitness,
  type Witnessed,
  type WitnessedFields,
} from "./witness";
