/**
 * The runtime keeps within its memory budget: above it, a sweep evicts loaded vaults
 * that no unlocked session holds, least recently used first, before their idle time
 * is up; an unlocked vault stays, and an evicted one loads again on its next request.
 */
import { UNLOCK_IDLE_MS } from "../../../../vault-enclave/runtime/limits";
import { bytes, founded, type Harness, type Person, PIN, person, startHarness } from "./harness";

describe("vault runtime: memory budget", () => {
  let h: Harness;
  let people: Person[];
  let clock = Date.now();
  let used = 0;
  const BUDGET = 1_000_000;

  beforeEach(async () => {
    people = await Promise.all(["dev-a", "dev-b", "dev-c", "dev-d"].map((d) => person(d)));
    clock = Date.now();
    used = 0;
    h = await startHarness(
      people.map((p) => p.vaultId),
      { now: () => clock, memoryBudgetBytes: BUDGET, memory: () => ({ heapUsed: used, external: 0 }) },
    );
  });
  afterEach(async () => {
    await h.close();
  });

  it("evicts the least recently used vaults without an unlocked session, as many as the excess needs", async () => {
    // Prepare: four vaults loaded; their init unlocks lapse; then b, c, d are used in that order
    const devices = [];
    for (const p of people) {
      const device = await founded(h, p);
      devices.push(device);
    }
    clock += UNLOCK_IDLE_MS + 1;
    for (const device of devices.slice(1)) {
      clock += 1_000;
      await device.call("vault.status", { op: "vault.status" });
    }
    // d unlocks again: it must stay whatever its age
    const [a, b, , d] = devices as [(typeof devices)[0], (typeof devices)[0], (typeof devices)[0], (typeof devices)[0]];
    await d.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    expect(h.runtime.loadedVaultCount).toBe(4);

    // Act 1: within the budget nothing goes before its idle time
    used = BUDGET - 1;
    expect(await h.runtime.sweep()).toBe(0);

    // Act 2: half a vault's average share over the budget (4 loaded, 1.2 MB used → 300 kB each)
    used = BUDGET + 200_000;
    const evicted = await h.runtime.sweep();

    // Assess: one vault went, the least recently used (a)
    expect(evicted).toBe(1);
    expect(h.runtime.loadedVaultCount).toBe(3);
    const loaded = (h.runtime as unknown as { slots: Map<string, { isLoaded: boolean }> }).slots;
    expect(people.map((p) => loaded.get(p.vaultId)?.isLoaded)).toEqual([false, true, true, true]);

    // Act 3: far over the budget, every vault without an unlocked session goes; d stays
    used = 10 * BUDGET;
    await h.runtime.sweep();
    expect(people.map((p) => loaded.get(p.vaultId)?.isLoaded)).toEqual([false, false, false, true]);

    // Assess: an evicted vault serves again, and its unlock and items work
    used = 0;
    await a.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    await a.call("items.put", { op: "items.put", name: "note", type: "secret", value: bytes("kept") });
    const { item } = await a.call("items.get", { op: "items.get", name: "note" });
    expect(new TextDecoder().decode(item.value)).toBe("kept");
    expect((await b.call("vault.status", { op: "vault.status" })).initialized).toBe(true);
  });
});
