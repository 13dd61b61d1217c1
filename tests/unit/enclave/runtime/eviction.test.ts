/**
 * Idle vaults leave the runtime's memory: once no session of a vault is left and it
 * was idle for VAULT_IDLE_EVICT_MS, its root key and opened layers are wiped. What the
 * runtime keeps is the highest state version it saw, so the host still cannot serve
 * it an older blob afterwards.
 */
import { SESSION_IDLE_MS, VAULT_IDLE_EVICT_MS } from "../../../../vault-enclave/runtime/limits";
import { stateBlobKey } from "../../../../vault-enclave/state";
import { bytes, codeOf, founded, type Harness, type Person, PIN, person, startHarness } from "./harness";

type SlotView = { loaded?: { rootKey: Uint8Array; inner?: unknown; pinKey?: Uint8Array } };

describe("vault runtime: idle vaults are evicted", () => {
  let h: Harness;
  let alice: Person;
  let clock = Date.now();
  const slotOf = (vaultId: string) =>
    (h.runtime as unknown as { slots: Map<string, SlotView> }).slots.get(vaultId) as SlotView;

  beforeEach(async () => {
    alice = await person("dev-alice");
    clock = Date.now();
    h = await startHarness([alice.vaultId], { now: () => clock });
  });
  afterEach(async () => {
    await h.close();
  });

  async function aliceWithItem() {
    const device = await founded(h, alice);
    await device.call("items.put", { op: "items.put", name: "bank", type: "login", value: bytes("v1") });
    return device;
  }

  it("keeps a vault loaded while a session lives, and evicts it, keys wiped, once none is left and it was idle", async () => {
    await aliceWithItem();
    const rootKey = slotOf(alice.vaultId).loaded?.rootKey as Uint8Array;
    expect(rootKey.some((b) => b !== 0)).toBe(true);

    clock += VAULT_IDLE_EVICT_MS / 2;
    expect(await h.runtime.sweep()).toBe(0); // not idle long enough, and its session lives
    expect(h.runtime.loadedVaultCount).toBe(1);

    clock += SESSION_IDLE_MS + VAULT_IDLE_EVICT_MS;
    expect(await h.runtime.sweep()).toBe(1);
    expect(h.runtime.loadedVaultCount).toBe(0);
    expect(slotOf(alice.vaultId).loaded).toBeUndefined();
    expect(rootKey.every((b) => b === 0)).toBe(true);
  });

  it("loads an evicted vault again for the next session, with every item", async () => {
    const device = await aliceWithItem();
    clock += SESSION_IDLE_MS + VAULT_IDLE_EVICT_MS + 1;
    await h.runtime.sweep();
    expect(h.runtime.loadedVaultCount).toBe(0);

    const again = h.client(alice, { memory: device.known });
    await again.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    const { item } = await again.call("items.get", { op: "items.get", name: "bank" });
    expect(Buffer.from(item.value).toString()).toBe("v1");
  });

  it("still refuses an older blob after eviction, even to a device that remembers nothing", async () => {
    const device = await aliceWithItem();
    const key = stateBlobKey(alice.vaultId);
    const old = h.blobs.objects.get(key);
    await device.call("items.put", { op: "items.put", name: "bank", type: "login", value: bytes("v2") });
    clock += SESSION_IDLE_MS + VAULT_IDLE_EVICT_MS + 1;
    await h.runtime.sweep();
    // The host serves the state from before the last write.
    h.blobs.objects.set(key, old as { data: Uint8Array; version: string });

    const forgetful = h.client(alice, { memory: { stateVersion: 0 } });
    expect(await codeOf(forgetful.call("vault.status", { op: "vault.status" }))).toBe("STALE_STATE");
  });

  it("does not evict a vault while one of its operations waits for its write", async () => {
    const device = await aliceWithItem();
    h.blobs.hold();
    const writing = codeOf(
      device.call("items.put", { op: "items.put", name: "bank", type: "login", value: bytes("v3") }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    clock += SESSION_IDLE_MS + VAULT_IDLE_EVICT_MS + 1;
    const sweeping = h.runtime.sweep();
    h.blobs.release();
    expect(await writing).toBe("OK");
    await sweeping;
    // The write finished with its keys intact (the third write: init, v1, v3); eviction came only after it.
    expect(h.blobs.objects.get(stateBlobKey(alice.vaultId))?.version).toBe("v3");
    expect(h.runtime.loadedVaultCount).toBe(0);
  });
});
