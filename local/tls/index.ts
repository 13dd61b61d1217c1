/** DEV ONLY: the launcher's TLS certificate authority for the local KMS stand-in. */
export { createDevTls, type DevTls } from "./dev-tls";
