/**
 * Pushing account JWT updates (revocations) to NATS servers as a system user.
 * Separate from lib/nats-auth so that only the revocation bundles carry a NATS client.
 */
export {
  type AccountClaimsPublisher,
  createNatsClaimsPublisher,
  type NatsClaimsPublisherOptions,
} from "./claims-publisher";
