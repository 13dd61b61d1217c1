/**
 * Pairing invitations at the REST edge (docs/decisions/0062): a device of a vault asks,
 * with a signed request, for a single-use invitation into its own vault; the device
 * that enrolls with it joins that vault. Attacked by reuse, expiry, a revoked or
 * unknown asker, a signature made for another purpose, and guessing.
 */
import { randomBytes } from "node:crypto";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../../../client/device";
import {
  createPairingInvitation,
  type EdgeContext,
  enroll,
  generateInvitationCode,
  PAIRING_INVITATION_TTL_SECONDS,
  RATE_LIMITS,
  type SignedPurpose,
  signRequest,
} from "../../../lib/edge";
import { useEdge } from "./support";

const device = (keys: DeviceKeys) => ({
  signingKey: keys.signing.publicKey,
  exchangeKey: keys.exchange.publicKey,
  natsPublicKey: keys.nats.publicKey,
});

describe("REST edge: pairing invitations", () => {
  const edge = useEdge();
  let realNow: () => number;
  let clock: number;
  let sources = 0;
  /** A source address of its own, so limits of one test never touch another's. */
  const source = () => `198.18.${Math.floor(sources / 250)}.${(sources++ % 250) + 1}`;
  const ctx = (): EdgeContext => edge.current.edge.context;

  beforeAll(() => {
    // a clock fixed in the middle of every limit window, so a window boundary never splits a test
    realNow = ctx().now;
    const hour = 3_600_000;
    clock = Math.floor(Date.now() / hour) * hour + hour / 2 + 1_000;
    ctx().now = () => clock;
  });
  afterAll(() => {
    ctx().now = realNow;
  });

  /** A signed request body made at the edge's clock. */
  function signed(purpose: SignedPurpose, deviceId: string, keys: DeviceKeys, signer = deviceId) {
    const timestamp = new Date(clock).toISOString();
    const nonce = randomBytes(24).toString("base64url");
    const signature = signRequest(
      { purpose, targetDeviceId: deviceId, signerDeviceId: signer, timestamp, nonce },
      Buffer.from(keys.signing.seed, "base64url"),
    );
    return { timestamp, nonce, signature };
  }

  /** A device that founded a vault (an operator's invitation). */
  async function founder() {
    const invitation = await edge.current.request("POST", "/v1/invitations", { json: {}, admin: true });
    const keys = generateDeviceKeys();
    const enrollment = await enroll(
      ctx(),
      { invitationCode: (invitation.json as { code: string }).code, device: device(keys) },
      source(),
    );
    return { keys, enrollment };
  }

  const refusal = (attempt: Promise<unknown>) =>
    attempt.then(
      () => "accepted",
      (err: { code?: string }) => err.code,
    );

  test("a device gets an invitation into its own vault; the device enrolling with it joins that vault and user", async () => {
    // Prepare
    const a = await founder();
    const tablet = generateDeviceKeys();

    // Act
    const created = await edge.current.request("POST", `/v1/devices/${a.enrollment.deviceId}/pairing-invitations`, {
      json: signed("pairing", a.enrollment.deviceId, a.keys),
    });
    const { code, vaultId, expiresAt, invitationId } = created.json as Record<string, string>;
    const joined = await edge.current.request("POST", "/v1/enrollments", {
      json: { invitationCode: code, device: { ...device(tablet), name: "tablet" } },
    });
    const retry = await edge.current.request("POST", "/v1/enrollments", {
      json: { invitationCode: code, device: { ...device(tablet), name: "tablet" } },
    });
    const table = JSON.stringify(await edge.current.snapshot());

    // Assess
    expect(created.status).toBe(201);
    expect(Object.keys(created.json as object).sort()).toEqual(["code", "expiresAt", "invitationId", "vaultId"]);
    expect(vaultId).toBe(a.enrollment.vaultId);
    expect(Date.parse(expiresAt as string)).toBe(clock + PAIRING_INVITATION_TTL_SECONDS * 1000);
    expect(joined.status).toBe(201);
    const enrollment = joined.json as Record<string, unknown>;
    expect(enrollment).toMatchObject({ vaultId: a.enrollment.vaultId, userId: a.enrollment.userId });
    expect(enrollment.vaultSalt).toBeUndefined();
    expect(enrollment.deviceId).not.toBe(a.enrollment.deviceId);
    expect((enrollment.subjects as { request: string }).request).toBe(
      `vettid.v1.vault.${a.enrollment.vaultId}.req.${enrollment.deviceId}`,
    );
    expect(retry.json).toMatchObject({ deviceId: enrollment.deviceId, vaultId: a.enrollment.vaultId });
    const record = await ctx().store.getDevice(enrollment.deviceId as string);
    expect(record).toMatchObject({ status: "active", invitedBy: a.enrollment.deviceId, vaultId: vaultId });
    expect(record?.vaultSalt).toBeUndefined();
    expect(await ctx().store.getInvitation(invitationId as string)).toMatchObject({
      status: "used",
      pairing: { deviceId: a.enrollment.deviceId, vaultId, userId: a.enrollment.userId },
    });
    // the table holds the code's hash only
    expect(table).not.toContain((code as string).replace(/-/g, ""));
    expect(table).not.toContain(code);
  });

  test("the reference client asks for an invitation and enrolls by it; its enroll() refuses one (no vault salt)", async () => {
    // Prepare
    const a = await founder();
    const client = createEdgeClient({ baseUrl: edge.current.edge.rest.url });
    // the client signs with the real time: the edge's clock follows it for the whole
    // test, so the invitations it makes are still open when they are used
    const realClock = clock;
    clock = Date.now();

    // Act
    let asFounder: string | undefined;
    let joined: { vaultId: string };
    try {
      const [first, second] = await Promise.all([
        client.createPairingInvitation(a.enrollment.deviceId, a.keys),
        client.createPairingInvitation(a.enrollment.deviceId, a.keys),
      ]);
      asFounder = await refusal(client.enroll(first.code, generateDeviceKeys()));
      joined = await client.enrollByPairing(second.code, generateDeviceKeys());
    } finally {
      clock = realClock;
    }

    // Assess: a founding device's check refuses a vault id that does not commit to its keys
    expect(asFounder).toBe("VAULT_ID_MISMATCH");
    expect(joined.vaultId).toBe(a.enrollment.vaultId);
  });

  test("is single use: a second device is refused the used invitation (INVITATION_USED)", async () => {
    // Prepare
    const a = await founder();
    const { code } = await createPairingInvitation(
      ctx(),
      a.enrollment.deviceId,
      signed("pairing", a.enrollment.deviceId, a.keys),
      source(),
    );
    await enroll(ctx(), { invitationCode: code, device: device(generateDeviceKeys()) }, source());

    // Act
    const second = await refusal(
      enroll(ctx(), { invitationCode: code, device: device(generateDeviceKeys()) }, source()),
    );

    // Assess
    expect(second).toBe("INVITATION_USED");
  });

  test("expires after 10 minutes (INVITATION_EXPIRED)", async () => {
    // Prepare
    const a = await founder();
    const { code } = await createPairingInvitation(
      ctx(),
      a.enrollment.deviceId,
      signed("pairing", a.enrollment.deviceId, a.keys),
      source(),
    );
    const issued = clock;

    // Act
    clock = issued + PAIRING_INVITATION_TTL_SECONDS * 1000;
    const late = await refusal(enroll(ctx(), { invitationCode: code, device: device(generateDeviceKeys()) }, source()));
    clock = issued;

    // Assess
    expect(late).toBe("INVITATION_EXPIRED");
  });

  test("a revoked, unknown or impersonated device gets none, nor a signature made for another purpose, nor a replay", async () => {
    // Prepare
    const a = await founder();
    const b = await founder();
    const revoked = await founder();
    await ctx().store.revokeDevice(revoked.enrollment.deviceId, clock);
    const ask = (deviceId: string, body: ReturnType<typeof signed>) =>
      refusal(createPairingInvitation(ctx(), deviceId, body, source()));
    const once = signed("pairing", a.enrollment.deviceId, a.keys);
    await ask(a.enrollment.deviceId, once);

    // Act
    const byRevoked = await ask(
      revoked.enrollment.deviceId,
      signed("pairing", revoked.enrollment.deviceId, revoked.keys),
    );
    const unknown = await ask(`dev_${"0".repeat(32)}`, signed("pairing", `dev_${"0".repeat(32)}`, a.keys));
    const impersonated = await ask(a.enrollment.deviceId, signed("pairing", a.enrollment.deviceId, b.keys));
    const otherPurpose = await ask(a.enrollment.deviceId, signed("credentials", a.enrollment.deviceId, a.keys));
    const replayed = await ask(a.enrollment.deviceId, once);

    // Assess
    expect(byRevoked).toBe("DEVICE_REVOKED");
    expect(unknown).toBe("CHALLENGE_INVALID");
    expect(impersonated).toBe("CHALLENGE_INVALID");
    expect(otherPurpose).toBe("CHALLENGE_INVALID");
    expect(replayed).toBe("REPLAYED_REQUEST");
  });

  test("enrolls no one once the asking device was revoked (INVITATION_REVOKED), and keeps the NATS key free", async () => {
    // Prepare
    const a = await founder();
    const { code } = await createPairingInvitation(
      ctx(),
      a.enrollment.deviceId,
      signed("pairing", a.enrollment.deviceId, a.keys),
      source(),
    );
    await ctx().store.revokeDevice(a.enrollment.deviceId, clock);
    const tablet = generateDeviceKeys();

    // Act
    const refused = await refusal(enroll(ctx(), { invitationCode: code, device: device(tablet) }, source()));
    const elsewhere = await founder().then(async (other) => {
      const invitation = await createPairingInvitation(
        ctx(),
        other.enrollment.deviceId,
        signed("pairing", other.enrollment.deviceId, other.keys),
        source(),
      );
      return enroll(ctx(), { invitationCode: invitation.code, device: device(tablet) }, source());
    });

    // Assess
    expect(refused).toBe("INVITATION_REVOKED");
    expect(elsewhere.deviceId).toMatch(/^dev_/);
  });

  test("guessed codes: the per-source limit stops a guesser before the real code, the per-code limit locks the code", async () => {
    // Prepare
    const a = await founder();
    const { code } = await createPairingInvitation(
      ctx(),
      a.enrollment.deviceId,
      signed("pairing", a.enrollment.deviceId, a.keys),
      source(),
    );
    const guesser = source();
    const attempt = (invitationCode: string, from: string) =>
      refusal(enroll(ctx(), { invitationCode, device: device(generateDeviceKeys()) }, from));

    // Act
    const guesses: (string | undefined)[] = [];
    for (let i = 0; i < RATE_LIMITS.perSource.max; i += 1)
      guesses.push(await attempt(generateInvitationCode(), guesser));
    const rightButLimited = await attempt(code, guesser);
    const person = await attempt(code, source());
    const afterUse: (string | undefined)[] = [];
    for (let i = 1; i < RATE_LIMITS.perCode.max; i += 1) afterUse.push(await attempt(code, source()));
    const locked = await attempt(code, source());

    // Assess
    expect(guesses.every((g) => g === "INVITATION_INVALID")).toBe(true);
    expect(rightButLimited).toBe("RATE_LIMITED");
    expect(person).toBe("accepted");
    expect(afterUse.every((g) => g === "INVITATION_USED")).toBe(true);
    expect(locked).toBe("RATE_LIMITED");
  });

  test("a device gets at most 10 invitations an hour", async () => {
    // Prepare
    const a = await founder();
    const ask = () =>
      refusal(
        createPairingInvitation(
          ctx(),
          a.enrollment.deviceId,
          signed("pairing", a.enrollment.deviceId, a.keys),
          source(),
        ),
      );

    // Act
    const within: (string | undefined)[] = [];
    for (let i = 0; i < RATE_LIMITS.perDevice.max; i += 1) within.push(await ask());
    const over = await ask();

    // Assess
    expect(within.every((r) => r === "accepted")).toBe(true);
    expect(over).toBe("RATE_LIMITED");
  });
});
