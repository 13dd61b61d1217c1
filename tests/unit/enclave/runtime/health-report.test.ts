/** The runtime's health as the host sees it: counts and memory, once at start and then on a timer. */
import { healthPoints, startHealthReports } from "../../../../vault-enclave/runtime/health-report";
import { MemoryLeaseTable, PIN, person, startHarness } from "./harness";

describe("runtime health reports", () => {
  it("reports loaded vaults, sessions and heap + external memory of a real runtime", async () => {
    // Prepare: one vault initialized (loaded, one session)
    const alice = await person("dev-alice");
    const h = await startHarness([alice.vaultId]);
    try {
      await h.client(alice).call("vault.init", {
        op: "vault.init",
        pin: PIN,
        signingKey: alice.signing.publicKey,
        vaultSalt: alice.vaultSalt,
      });

      // Act
      const points = healthPoints(h.runtime, () => ({ heapUsed: 1_000, external: 24 }));

      // Assess
      expect(points).toEqual([
        { name: "LoadedVaults", unit: "Count", value: 1 },
        { name: "Sessions", unit: "Count", value: 1 },
        { name: "HeapAndExternalBytes", unit: "Bytes", value: 1_024 },
      ]);
    } finally {
      await h.close();
    }
  });

  it("reports the vaults it owns by lease, for the host's heartbeat, when it takes leases", async () => {
    // Prepare: a runtime with leases that served one vault
    const alice = await person("dev-alice");
    const self = "c".repeat(32);
    const h = await startHarness([alice.vaultId], { leases: { table: new MemoryLeaseTable(self, Date.now), self } });
    try {
      await h.client(alice).call("vault.status", { op: "vault.status" });

      // Act
      const points = healthPoints(h.runtime, () => ({ heapUsed: 1, external: 1 }));

      // Assess
      expect(points).toContainEqual({ name: "OwnedVaults", unit: "Count", value: 1 });
    } finally {
      await h.close();
    }
  });

  it("sends a report at start and then every interval until stopped", async () => {
    jest.useFakeTimers();
    try {
      const sent: string[] = [];
      const stop = startHealthReports({
        runtime: { loadedVaultCount: 2, sessionCount: 3 },
        send: (p) => sent.push(`${p.name}=${p.value}`),
        everyMs: 1_000,
        memory: () => ({ heapUsed: 5, external: 5 }),
      });
      jest.advanceTimersByTime(2_500);
      stop();
      jest.advanceTimersByTime(5_000);
      expect(sent).toHaveLength(9);
      expect(sent.slice(0, 3)).toEqual(["LoadedVaults=2", "Sessions=3", "HeapAndExternalBytes=10"]);
    } finally {
      jest.useRealTimers();
    }
  });
});
