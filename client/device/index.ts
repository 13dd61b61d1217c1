/** The reference device client: key generation, enrollment, credential refresh, device state. */
export { createEdgeClient, type EdgeClient, type EdgeClientOptions } from "./api";
export { checkDeviceKeys, type DeviceKeys, generateDeviceKeys } from "./keys";
export { loadSeenManifest, saveSeenManifest } from "./seen-manifest";
export {
  type DeviceFile,
  type DevicePairing,
  deleteDeviceKeys,
  loadDeviceFile,
  loadDeviceKeys,
  STATE_FILES,
  saveCreds,
  saveDeviceFile,
  saveDeviceKeys,
  saveEnrollment,
} from "./state";
export { forgetChangesPosition, loadVaultFile, saveVaultFile, type VaultFile } from "./vault-file";
