/** What an operator's client needs beyond a device's: signed requests to a deployed edge. */
export { type OutgoingRequest, type RequestSigner, type SigV4Options, signingRegion, sigV4Signer } from "./sigv4";
