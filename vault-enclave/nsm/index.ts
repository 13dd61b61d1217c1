/**
 * The production Nitro Secure Module binding (`/dev/nsm` via koffi), behind the
 * {@link Nsm} interface of lib/attestation shared with the dev simulator.
 */
export { createDeviceNsm, type DeviceNsmOptions, NSM_DEVICE } from "./device";
export {
  decodeAttestationResponse,
  encodeAttestationRequest,
  MAX_REQUEST_FIELD_BYTES,
  NSM,
  NSM_ERROR_CODES,
  NsmError,
} from "./protocol";
