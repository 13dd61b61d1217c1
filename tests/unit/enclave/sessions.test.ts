import { sodiumReady } from "../../../lib/crypto";
import type { HandshakeSession } from "../../../lib/handshake";
import {
  MAX_SESSIONS,
  MAX_SESSIONS_PER_DEVICE,
  SESSION_IDLE_MS,
  SESSION_MAX_AGE_MS,
  UNLOCK_IDLE_MS,
} from "../../../vault-enclave/runtime/limits";
import { Sessions } from "../../../vault-enclave/session/sessions";

let clock = 1_000_000;
let counter = 0;

function handshake(vaultId: string, deviceId: string): HandshakeSession {
  counter += 1;
  const sessionId = `ses_${counter}`;
  return {
    keys: { tx: new Uint8Array(32).fill(1), rx: new Uint8Array(32).fill(2) },
    sessionId,
    context: { vaultId, deviceId, sessionId },
    handshakeHash: new Uint8Array(64),
  };
}

const deviceKey = new Uint8Array(32).fill(7);

beforeAll(async () => {
  await sodiumReady();
});

describe("Sessions", () => {
  let sessions: Sessions;
  beforeEach(() => {
    clock = 1_000_000;
    sessions = new Sessions(() => clock);
  });

  it("says whether a handshake would find room exactly as add decides: full, except for a device that gives up its oldest", () => {
    // Prepare: a full runtime, one device of which holds its maximum of sessions
    for (let i = 0; i < MAX_SESSIONS_PER_DEVICE; i += 1) sessions.add(handshake("vlt_x", "dev_full"), deviceKey);
    for (let i = sessions.size; i < MAX_SESSIONS; i += 1) sessions.add(handshake(`vlt_${i}`, `dev_${i}`), deviceKey);

    // Act
    const stranger = sessions.hasRoomFor("vlt_new", "dev_new");
    const oneOfMany = sessions.hasRoomFor("vlt_5000", "dev_5000");
    const full = sessions.hasRoomFor("vlt_x", "dev_full");

    // Assess: add agrees in each case
    expect([stranger, oneOfMany, full]).toEqual([false, false, true]);
    expect(() => sessions.add(handshake("vlt_new", "dev_new"), deviceKey)).toThrow("too many sessions");
    expect(() => sessions.add(handshake("vlt_5000", "dev_5000"), deviceKey)).toThrow("too many sessions");
    sessions.add(handshake("vlt_x", "dev_full"), deviceKey);
    expect(sessions.size).toBe(MAX_SESSIONS);
  });

  it("holds an unlock for its own vault only", () => {
    const a = sessions.add(handshake("vlt_a", "dev_1"), deviceKey);
    sessions.add(handshake("vlt_b", "dev_2"), deviceKey);
    sessions.markUnlocked(a);
    expect(sessions.anyUnlocked("vlt_a")).toBe(true);
    expect(sessions.anyUnlocked("vlt_b")).toBe(false);
    expect(sessions.anyUnlocked("vlt_c")).toBe(false);
  });

  it("lets an unlock lapse after its idle time", () => {
    const a = sessions.add(handshake("vlt_a", "dev_1"), deviceKey);
    sessions.markUnlocked(a);
    clock += UNLOCK_IDLE_MS + 1;
    expect(sessions.anyUnlocked("vlt_a")).toBe(false);
    expect(sessions.isUnlocked(a)).toBe(false);
  });

  it("forgets a dropped session in every index", () => {
    const a = sessions.add(handshake("vlt_a", "dev_1"), deviceKey);
    sessions.markUnlocked(a);
    sessions.drop(a);
    expect(sessions.size).toBe(0);
    expect(sessions.anyUnlocked("vlt_a")).toBe(false);
    expect(() => sessions.get(a.id, "vlt_a", "dev_1")).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
  });

  it("drops every session of one device of one vault, and nobody else's", () => {
    const mine = [1, 2].map(() => sessions.add(handshake("vlt_a", "dev_1"), deviceKey));
    const sibling = sessions.add(handshake("vlt_a", "dev_2"), deviceKey);
    const elsewhere = sessions.add(handshake("vlt_b", "dev_1"), deviceKey);
    for (const s of [...mine, sibling, elsewhere]) sessions.markUnlocked(s);
    sessions.dropDevice("vlt_a", "dev_1");
    expect(sessions.size).toBe(2);
    for (const s of mine) expect(() => sessions.get(s.id, "vlt_a", "dev_1")).toThrow();
    expect(sessions.get(sibling.id, "vlt_a", "dev_2")).toBe(sibling);
    expect(sessions.get(elsewhere.id, "vlt_b", "dev_1")).toBe(elsewhere);
    expect(sessions.anyUnlocked("vlt_a")).toBe(true);
    sessions.dropDevice("vlt_a", "dev_2");
    expect(sessions.anyUnlocked("vlt_a")).toBe(false);
    expect(sessions.anyUnlocked("vlt_b")).toBe(true);
  });

  it("evicts only the same device's oldest session beyond its quota", () => {
    const other = sessions.add(handshake("vlt_a", "dev_2"), deviceKey);
    const own = Array.from({ length: MAX_SESSIONS_PER_DEVICE + 1 }, () => {
      clock += 1;
      return sessions.add(handshake("vlt_a", "dev_1"), deviceKey);
    });
    expect(sessions.size).toBe(MAX_SESSIONS_PER_DEVICE + 1);
    expect(() => sessions.get((own[0] as { id: string }).id, "vlt_a", "dev_1")).toThrow();
    expect(sessions.get(other.id, "vlt_a", "dev_2")).toBe(other);
  });

  it("removes expired sessions from the vault index too", () => {
    const a = sessions.add(handshake("vlt_a", "dev_1"), deviceKey);
    sessions.markUnlocked(a);
    clock += SESSION_IDLE_MS + 1;
    sessions.add(handshake("vlt_b", "dev_9"), deviceKey);
    expect(sessions.size).toBe(1);
    // The expired session's unlock cannot keep vault A's keys open.
    a.lastUnlockedUseAt = clock;
    expect(sessions.anyUnlocked("vlt_a")).toBe(false);
  });

  it("removes each session on the first add after it expires, and no session before", () => {
    const a = sessions.add(handshake("vlt_a", "dev_1"), deviceKey);
    clock += 1_000;
    const b = sessions.add(handshake("vlt_b", "dev_1"), deviceKey);
    clock += SESSION_IDLE_MS - 1_000;
    const c = sessions.add(handshake("vlt_c", "dev_1"), deviceKey);
    expect(sessions.size).toBe(3);
    clock += 1;
    sessions.add(handshake("vlt_d", "dev_1"), deviceKey);
    expect(sessions.size).toBe(3);
    expect(() => sessions.get(a.id, "vlt_a", "dev_1")).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
    // b was used since: its idle time starts again there.
    sessions.touch(b);
    clock += SESSION_IDLE_MS;
    sessions.add(handshake("vlt_e", "dev_1"), deviceKey);
    expect(sessions.get(b.id, "vlt_b", "dev_1")).toBe(b);
    expect(() => sessions.get(c.id, "vlt_c", "dev_1")).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
    clock += 1;
    sessions.add(handshake("vlt_f", "dev_1"), deviceKey);
    expect(sessions.size).toBe(2);
  });

  it("removes a session past its maximum age on the next add, however recently it was used", () => {
    const a = sessions.add(handshake("vlt_a", "dev_1"), deviceKey);
    for (let t = 0; t < SESSION_MAX_AGE_MS; t += SESSION_IDLE_MS / 2) {
      clock += SESSION_IDLE_MS / 2;
      sessions.touch(a);
    }
    clock += 1;
    sessions.touch(a);
    sessions.add(handshake("vlt_b", "dev_1"), deviceKey);
    expect(sessions.size).toBe(1);
  });

  it("refuses a session another vault's or device's message names", () => {
    const a = sessions.add(handshake("vlt_a", "dev_1"), deviceKey);
    expect(() => sessions.get(a.id, "vlt_b", "dev_1")).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
    expect(() => sessions.get(a.id, "vlt_a", "dev_2")).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
  });
});
