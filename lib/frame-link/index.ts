/**
 * The multiplexed frame link between the enclave and the proxy (docs/protocol.md
 * §Frame link): a transport interface, its Unix-socket implementation, the enclave's
 * vsock transport through a bridge process, and the request/response link with
 * back-pressure that both sides run over it.
 */

export {
  type BridgeTransportOptions,
  bridgeTransport,
  SOCAT_READY,
  type SpawnBridge,
  socatStdioArgs,
} from "./bridge";
export {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HIGH_WATER_BYTES,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_PENDING,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_CORKED_FRAMES,
  ONE_WAY_ID,
  REPLY_TYPES,
} from "./constants";
export { createLinkCounters, type LinkCounters } from "./counters";
export { FrameLink, type FrameLinkOptions, type RequestHandler } from "./link";
export type { Transport, TransportListener } from "./transport";
export { unixSocketTransport } from "./unix-socket";
export {
  assertInsideEnclave,
  ENCLAVE_MARKER,
  PARENT_CID,
  VSOCK_BRIDGE_DIR,
  VSOCK_DEVICE,
  type VsockTransportOptions,
  vsockTransport,
} from "./vsock";
