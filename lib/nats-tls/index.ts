/** TLS of NATS client connections: which URLs an environment accepts, and the nats.js `tls` option. */
export { type NatsTlsOptions, type NatsTlsSettings, natsTlsOptions } from "./options";
export { assertNatsUrls, isTlsUrl, NATS_SCHEMES, natsUrlProblem, plaintextNatsAllowed } from "./urls";
