/**
 * Attacks on the reference device client (client/vault) by the host, which answers
 * for the enclave whatever it likes outside the sealed envelopes, and by a caller
 * that forgets what the device must check.
 */
import { errorLine } from "../../../client/cli/main";
import { VaultClient } from "../../../client/vault";
import { encodeEnclaveMessage } from "../../../lib/vault-protocol";
import { codeOf, type Harness, type Person, PIN, person, startHarness } from "../enclave/runtime/harness";

describe("vault client under attack (in-memory host)", () => {
  let h: Harness;
  let alice: Person;

  beforeEach(async () => {
    alice = await person("dev-alice");
    h = await startHarness([alice.vaultId]);
  });
  afterEach(async () => {
    await h.close();
  });

  async function initialized(): Promise<void> {
    await h.client(alice).call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });
  }

  it("does not let a forged clear error claim a vault outcome only a sealed answer may carry", async () => {
    await initialized();
    // Prepare: the host answers the sealed unlock itself, in clear, with "attempts exhausted".
    const forged = encodeEnclaveMessage({ t: "error", code: "PIN_ATTEMPTS_EXHAUSTED", message: "locked for good" });
    let connected = false;
    const device = h.client(alice, {
      memory: { stateVersion: 1 },
      intercept: async (data, deliver) => (connected ? forged : deliver(data)),
    });
    await device.connect();
    connected = true;
    // Act / Assess: the device does not take the host's word for the vault's state.
    const code = await codeOf(device.call("vault.unlock", { op: "vault.unlock", pin: PIN }));
    expect(code).not.toBe("PIN_ATTEMPTS_EXHAUSTED");
    expect(code).toBe("INTERNAL");
  });

  it("refuses to open a session when it was given no manifest to check the PCRs against", async () => {
    await initialized();
    const connect = () =>
      new VaultClient({
        vaultId: alice.vaultId,
        deviceId: alice.deviceId,
        deviceKey: alice.exchange,
        transport: (data) => h.deliver(alice.vaultId, alice.deviceId, data),
        attestation: { trustedRoots: [h.nsm.rootCertificatePem] } as never,
        memory: { stateVersion: 0 },
      }).connect();
    expect(await codeOf(Promise.resolve().then(connect))).toBe("VALIDATION_FAILED");
  });

  it("keeps the host's escape sequences in a forged error out of the line the command line prints", async () => {
    await initialized();
    // Prepare: the host answers with a clear error whose text clears the screen and fakes a success.
    const forged = encodeEnclaveMessage({
      t: "error",
      code: "UNAVAILABLE",
      message: "\u001b[2J\u001b[HPIN accepted\u001b]0;vettid\u0007\u009b1m",
    });
    const device = h.client(alice, { memory: { stateVersion: 1 }, intercept: async () => forged });
    let failure: unknown;
    await device.connect().catch((err: unknown) => {
      failure = err;
    });
    // Assess: the code and the text survive; no control character does.
    const line = errorLine(failure);
    expect(line).toContain("UNAVAILABLE");
    expect(line).toContain("PIN accepted");
    const controls = [...line].filter((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || /[\u007f-\u009f]/.test(ch));
    expect(controls).toEqual([]);
  });
});
