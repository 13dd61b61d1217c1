/**
 * The heartbeat's `vaultCount`: the vaults whose requests the proxy delivered to the
 * enclave within the last 15 minutes.
 */
import type { FrameLink } from "../../../lib/frame-link";
import type { Frame, FrameValue } from "../../../lib/frames";
import { deviceInboxPrefix, vaultRequestSubject, vaultRequestWildcard } from "../../../lib/subjects";
import {
  ACTIVE_VAULT_WINDOW_MS,
  ActiveVaults,
  MAX_TRACKED_VAULTS,
  OWNED_REPORT_FRESH_MS,
} from "../../../vsock-proxy/active-vaults";
import { NatsBridge } from "../../../vsock-proxy/channels/nats";
import { allVaults } from "../../../vsock-proxy/policy";
import { memoryNats } from "./fakes";

describe("active vaults", () => {
  it("counts each vault once while it had a request within the window, and forgets it after", () => {
    let now = 1_000_000;
    const active = new ActiveVaults(() => now);
    active.seen("vlt_a");
    active.seen("vlt_b");
    active.seen("vlt_a");
    expect(active.count()).toBe(2);
    now += ACTIVE_VAULT_WINDOW_MS - 1;
    active.seen("vlt_b");
    now += 2;
    // a was last seen a window ago, b just now
    expect(active.count()).toBe(1);
    now += ACTIVE_VAULT_WINDOW_MS;
    expect(active.count()).toBe(0);
  });

  it("saturates at its cap instead of growing, and makes room once old entries lapse", () => {
    let now = 0;
    const active = new ActiveVaults(() => now, 1_000);
    for (let i = 0; i < MAX_TRACKED_VAULTS + 10; i += 1) active.seen(`vlt_${i}`);
    expect(active.count()).toBe(MAX_TRACKED_VAULTS);
    now = 2_000;
    active.seen("vlt_new");
    expect(active.count()).toBe(1);
  });

  it("is fed by the requests the bridge delivers to the enclave, not by inbox or event traffic", () => {
    // Prepare: a bridge over every vault (the local topology's `*`)
    const nats = memoryNats();
    const seen: string[] = [];
    const link = { send: (_c: string, _t: string, _b: FrameValue) => true };
    const bridge = new NatsBridge(link as unknown as FrameLink, {
      nats,
      served: allVaults,
      onRequest: (vaultId) => seen.push(vaultId),
    });
    const frame = (body: FrameValue): Frame =>
      ({ version: 1, channel: "nats", id: 1, type: "subscribe", body }) as Frame;
    bridge.handle(frame({ sid: 1, subject: vaultRequestWildcard("vlt_a") }));
    bridge.handle(frame({ sid: 2, subject: vaultRequestWildcard("vlt_b") }));

    // Act
    nats.inject(vaultRequestSubject("vlt_a", "dev_1"), new Uint8Array([1]), `${deviceInboxPrefix("dev_1")}.x`);
    nats.inject(vaultRequestSubject("vlt_b", "dev_2"), new Uint8Array([1]), `${deviceInboxPrefix("dev_2")}.y`);
    nats.inject(vaultRequestSubject("vlt_a", "dev_3"), new Uint8Array([1]), `${deviceInboxPrefix("dev_3")}.z`);

    // Assess
    expect(seen).toEqual(["vlt_a", "vlt_b", "vlt_a"]);
  });

  it("reports the enclave's own count of owned vaults while fresh, and the requests seen when it is stale", () => {
    // Prepare: two hosts see every request; this one's enclave owns one of three vaults
    let now = 1_000;
    const active = new ActiveVaults(() => now);
    for (const vaultId of ["vlt_a", "vlt_b", "vlt_c"]) active.seen(vaultId);

    // Act
    const before = active.count();
    active.reportOwned(1);
    const reported = active.count();
    active.reportOwned(-1); // not a count: ignored
    const afterBad = active.count();
    now += OWNED_REPORT_FRESH_MS + 1;
    active.seen("vlt_a");
    const stale = active.count();

    // Assess
    expect([before, reported, afterBad]).toEqual([3, 1, 1]);
    expect(stale).toBe(3);
  });
});
