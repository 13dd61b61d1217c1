import {
  deviceInboxPrefix,
  parseSubject,
  vaultBroadcastEventSubject,
  vaultDeviceEventSubject,
  vaultRequestSubject,
  vaultRequestWildcard,
} from "../../../lib/subjects";

describe("subject scheme", () => {
  it("builds the documented subjects", () => {
    expect(vaultRequestSubject("vlt_1", "dev_a")).toBe("vettid.v1.vault.vlt_1.req.dev_a");
    expect(vaultRequestWildcard("vlt_1")).toBe("vettid.v1.vault.vlt_1.req.*");
    expect(vaultDeviceEventSubject("vlt_1", "dev_a")).toBe("vettid.v1.vault.vlt_1.evt.dev_a");
    expect(vaultBroadcastEventSubject("vlt_1")).toBe("vettid.v1.vault.vlt_1.evt.all");
    expect(deviceInboxPrefix("dev_a")).toBe("vettid.v1.inbox.dev_a");
  });

  it.each(["", "a.b", "a*", ">", "x".repeat(65), "dev a", "dév"])("refuses the id %j", (id) => {
    expect(() => vaultRequestSubject(id, "dev_a")).toThrow(TypeError);
    expect(() => deviceInboxPrefix(id)).toThrow(TypeError);
  });

  it("parses concrete subjects and nothing else", () => {
    expect(parseSubject("vettid.v1.vault.vlt_1.req.dev_a")).toEqual({
      kind: "request",
      vaultId: "vlt_1",
      deviceId: "dev_a",
    });
    expect(parseSubject("vettid.v1.vault.vlt_1.evt.all")).toEqual({ kind: "event", vaultId: "vlt_1", deviceId: "all" });
    expect(parseSubject("vettid.v1.inbox.dev_a.abc.1")).toEqual({ kind: "inbox", deviceId: "dev_a", rest: "abc.1" });
    for (const bad of [
      "vettid.v1.vault.*.req.dev_a",
      "vettid.v1.vault.vlt_1.req.>",
      "$SYS.REQ",
      "vettid.v2.vault.a.req.b",
      42,
    ]) {
      expect(parseSubject(bad)).toBeUndefined();
    }
  });
});
