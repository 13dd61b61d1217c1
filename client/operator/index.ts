/** What an operator's client needs beyond a device's: signed requests to a deployed edge, the JetStream layout. */
export {
  type ApplyJetStreamLayoutOptions,
  ASSET_STATES,
  type AssetResult,
  type AssetState,
  applyJetStreamLayout,
} from "./jetstream";
export { type OutgoingRequest, type RequestSigner, type SigV4Options, signingRegion, sigV4Signer } from "./sigv4";
