/** DEV ONLY: the launcher's TLS certificate authority (local KMS stand-in, NATS node certificates in tests). */
export {
  createDevCa,
  createDevTls,
  type DevCertificate,
  type DevCertificateOptions,
  type DevTls,
  issueDevCertificate,
} from "./dev-tls";
export { issueNatsNodeCertificates, type NatsNodeCertificates, type NatsNodeNames } from "./nats-node-certificates";
