/**
 * Publishing account JWT updates (revocations) to NATS servers as a system user: the
 * revocation publisher's logic. Separate from lib/nats-auth so that only its bundle
 * carries a NATS client and the operator signing key.
 */
export {
  type AccountClaimsPublisher,
  createNatsClaimsPublisher,
  type NatsClaimsPublisherOptions,
} from "./claims-publisher";
export {
  type AccountIssuer,
  checkRevocations,
  MAX_REVOCATIONS,
  publishRevocations,
  type RevocationPublisherDeps,
} from "./revocation-publisher";
export { MAX_STREAM_RECORDS, type RevocationStreamRecord, revocationChanges } from "./revocation-stream";
