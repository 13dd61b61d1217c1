import { backoffDelay } from "../../../lib/proxy-client";
import { blobKey, parseBlobKey } from "../../../lib/proxy-protocol";
import { auditSegmentBlobKey } from "../../../vault-enclave/state";
import {
  ALL_VAULTS_REQUEST_WILDCARD,
  allVaults,
  mayPublishEvent,
  maySubscribe,
  mayUseBlob,
  staticServedVaults,
} from "../../../vsock-proxy/policy";
import { TokenBucket } from "../../../vsock-proxy/rate-limit";
import { ReplyGrants } from "../../../vsock-proxy/reply-grants";

const served = staticServedVaults(["v1"]);

describe("proxy policy", () => {
  it.each([
    ["vettid.v1.vault.v1.req.*", true],
    ["vettid.v1.vault.v1.req.dev-1", true],
    ["vettid.v1.vault.v2.req.*", false],
    ["vettid.v1.vault.v1.evt.all", false],
    ["vettid.v1.vault.v1.req.>", false],
    ["vettid.v1.vault.*.req.*", false],
    ["vettid.v1.inbox.dev-1.x", false],
    [">", false],
  ])("subscribe %s → %s", (subject, expected) => {
    expect(maySubscribe(subject, served)).toBe(expected);
  });

  it.each([
    ["vettid.v1.vault.v1.evt.all", true],
    ["vettid.v1.vault.v1.evt.dev-1", true],
    ["vettid.v1.vault.v2.evt.all", false],
    ["vettid.v1.vault.v1.req.dev-1", false],
  ])("publish event %s → %s", (subject, expected) => {
    expect(mayPublishEvent(subject, served)).toBe(expected);
  });

  it("lets the enclave subscribe to every vault's requests only where the host serves every vault", () => {
    // Assess
    expect(maySubscribe(ALL_VAULTS_REQUEST_WILDCARD, allVaults)).toBe(true);
    expect(maySubscribe(ALL_VAULTS_REQUEST_WILDCARD, staticServedVaults(["v1"]))).toBe(false);
    expect(maySubscribe("vettid.v1.vault.*.req.>", allVaults)).toBe(false);
    expect(maySubscribe("vettid.v1.>", allVaults)).toBe(false);
    expect(staticServedVaults(["v1", "v2"]).list()).toEqual(["v1", "v2"]);
    expect(allVaults.list()).toBe("all");
  });

  it("confines blobs to served vaults and safe names", () => {
    expect(mayUseBlob(blobKey("v1", "state.v2"), served)).toBe(true);
    expect(mayUseBlob(blobKey("v2", "state"), served)).toBe(false);
    // Audit segments (vault-enclave/state `auditSegmentBlobKey`) are objects of their vault like its state.
    expect(mayUseBlob(auditSegmentBlobKey("v1", 17), served)).toBe(true);
    expect(mayUseBlob(auditSegmentBlobKey("v2", 17), served)).toBe(false);
    for (const key of ["vaults/v1/..", "vaults/v1/a/b", "vaults/v1/", "other/v1/x", "vaults/v1/."]) {
      expect(parseBlobKey(key)).toBeUndefined();
    }
  });

  it("grants each delivered reply subject once, and only until it expires", () => {
    let now = 0;
    const grants = new ReplyGrants({ perDevice: 2, total: 2, ttlMs: 100, now: () => now });
    grants.grant("dev", "a");
    expect(grants.take("a")).toBe(true);
    expect(grants.take("a")).toBe(false);
    grants.grant("dev", "b");
    now = 200;
    expect(grants.take("b")).toBe(false);
    grants.grant("dev", "c");
    grants.grant("dev", "d");
    grants.grant("dev", "e");
    expect(grants.size).toBe(2);
    expect(grants.take("c")).toBe(false);
  });

  it("caps telemetry with a token bucket that refills over time", () => {
    let now = 0;
    const bucket = new TokenBucket(3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now = 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now = 10_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it("backs off exponentially with full jitter up to the cap", () => {
    expect(backoffDelay(0, { initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999)).toBe(99);
    expect(backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999)).toBe(799);
    expect(backoffDelay(30, { initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999)).toBe(999);
    expect(backoffDelay(5, {}, () => 0)).toBe(0);
  });
});
