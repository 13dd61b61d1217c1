/** The reference device client: key generation, enrollment, credential refresh, device state. */
export { createEdgeClient, type EdgeClient, type EdgeClientOptions } from "./api";
export { checkDeviceKeys, type DeviceKeys, generateDeviceKeys } from "./keys";
export {
  type DeviceFile,
  loadDeviceFile,
  loadDeviceKeys,
  STATE_FILES,
  saveCreds,
  saveDeviceKeys,
  saveEnrollment,
} from "./state";
