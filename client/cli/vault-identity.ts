import type { DeviceKeys } from "../device";
import { createEdgeClient } from "../device";

/** Registers the vault's identity key at the edge (the founding device's signed request). */
export async function registerIdentity(
  state: { device: { api: string; deviceId: string }; keys: DeviceKeys },
  identityKey: Uint8Array,
): Promise<void> {
  await createEdgeClient({ baseUrl: state.device.api }).registerVaultIdentity(
    state.device.deviceId,
    state.keys,
    identityKey,
  );
}
