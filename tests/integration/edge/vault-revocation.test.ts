/**
 * Peer revocation needs the vault's word (docs/decisions/0066): the founding device
 * registers the vault's identity key once, and the edge then revokes another device
 * only with the statement the vault signs in `device.revoke` (PIN in the same
 * session). Attacked as a thief holding a device but not the PIN would: without a
 * statement, with one for another device or vault, with one signed by another key,
 * by re-registering the identity key, and by registering from a joined device.
 */
import { randomBytes } from "node:crypto";
import { createEdgeClient, type DeviceKeys, generateDeviceKeys } from "../../../client/device";
import { sodium, sodiumReady } from "../../../lib/crypto";
import { type EdgeContext, enroll, type SignedPurpose, signRequest } from "../../../lib/edge";
import { signRevocationStatement } from "../../../lib/pairing";
import { useEdge } from "./support";

const device = (keys: DeviceKeys) => ({
  signingKey: keys.signing.publicKey,
  exchangeKey: keys.exchange.publicKey,
  natsPublicKey: keys.nats.publicKey,
});

describe("REST edge: peer revocation with the vault's statement", () => {
  const edge = useEdge();
  let sources = 0;
  const source = () => `198.19.${Math.floor(sources / 250)}.${(sources++ % 250) + 1}`;
  const ctx = (): EdgeContext => edge.current.edge.context;
  const client = () => createEdgeClient({ baseUrl: edge.current.edge.rest.url });

  beforeAll(async () => {
    await sodiumReady();
  });

  /** A vault: its founder, a second device joined by a pairing invitation, and an identity key pair. */
  async function vault() {
    const invitation = await edge.current.request("POST", "/v1/invitations", { json: {}, admin: true });
    const founderKeys = generateDeviceKeys();
    const founder = await enroll(
      ctx(),
      { invitationCode: (invitation.json as { code: string }).code, device: device(founderKeys) },
      source(),
    );
    const pairing = await client().createPairingInvitation(founder.deviceId, founderKeys);
    const tabletKeys = generateDeviceKeys();
    const tablet = await client().enrollByPairing(pairing.code, tabletKeys);
    const identity = sodium().crypto_sign_keypair();
    return { founder, founderKeys, tablet, tabletKeys, identity };
  }

  const statementFor = (vaultId: string, deviceId: string, secretKey: Uint8Array) =>
    signRevocationStatement({ vaultId, deviceId, revokedAt: Date.now() }, secretKey);

  const refusal = (attempt: Promise<unknown>) =>
    attempt.then(
      () => "accepted",
      (err: { code?: string }) => err.code,
    );

  test("revokes another device with the vault's statement, after the founder registered the identity key", async () => {
    // Prepare
    const v = await vault();
    const registered = await client().registerVaultIdentity(v.founder.deviceId, v.founderKeys, v.identity.publicKey);

    // Act
    const revoked = await client().revokeDevice(
      v.tablet.deviceId,
      v.founder.deviceId,
      v.founderKeys,
      statementFor(v.founder.vaultId, v.tablet.deviceId, v.identity.privateKey),
    );

    // Assess
    expect(registered).toEqual({
      vaultId: v.founder.vaultId,
      identityKey: Buffer.from(v.identity.publicKey).toString("base64url"),
    });
    expect(revoked).toEqual({ deviceId: v.tablet.deviceId, status: "revoked" });
    expect(await ctx().store.getDevice(v.tablet.deviceId)).toMatchObject({ status: "revoked" });
    expect(Object.keys((await ctx().store.getRevocations()).revocations)).toContain(v.tabletKeys.nats.publicKey);
  });

  test("a thief with one device but not the PIN cannot cut the owner's other device off NATS by REST", async () => {
    // Prepare: the thief holds the tablet (its keys), not the PIN, so no vault statement for the founder
    const v = await vault();
    await client().registerVaultIdentity(v.founder.deviceId, v.founderKeys, v.identity.publicKey);
    const thiefKey = sodium().crypto_sign_keypair();
    const other = await vault();

    // Act
    const tries = [
      // no statement at all
      await refusal(client().revokeDevice(v.founder.deviceId, v.tablet.deviceId, v.tabletKeys)),
      // a statement signed by a key of the thief's own
      await refusal(
        client().revokeDevice(
          v.founder.deviceId,
          v.tablet.deviceId,
          v.tabletKeys,
          statementFor(v.founder.vaultId, v.founder.deviceId, thiefKey.privateKey),
        ),
      ),
      // the vault's genuine statement, but about another device (the tablet itself)
      await refusal(
        client().revokeDevice(
          v.founder.deviceId,
          v.tablet.deviceId,
          v.tabletKeys,
          statementFor(v.founder.vaultId, v.tablet.deviceId, v.identity.privateKey),
        ),
      ),
      // a genuine statement of another vault, naming the founder's device id
      await refusal(
        client().revokeDevice(
          v.founder.deviceId,
          v.tablet.deviceId,
          v.tabletKeys,
          statementFor(other.founder.vaultId, v.founder.deviceId, other.identity.privateKey),
        ),
      ),
      // re-registering the identity key as the thief's own, from the joined device and from the founder
      await refusal(client().registerVaultIdentity(v.tablet.deviceId, v.tabletKeys, thiefKey.publicKey)),
      await refusal(client().registerVaultIdentity(v.founder.deviceId, v.founderKeys, thiefKey.publicKey)),
    ];

    // Assess
    expect(tries).toEqual(["FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "CONFLICT"]);
    expect(await ctx().store.getDevice(v.founder.deviceId)).toMatchObject({ status: "active" });
    expect((await ctx().store.getVault(v.founder.vaultId))?.identityKey).toBe(
      Buffer.from(v.identity.publicKey).toString("base64url"),
    );
  });

  test("refuses a statement behind a byte-order mark: what identity.sign signs for a relying party revokes nothing", async () => {
    // Prepare: the vault signed BOM ‖ statement as an identity.sign challenge (it does not begin with VETTID-)
    const v = await vault();
    await client().registerVaultIdentity(v.founder.deviceId, v.founderKeys, v.identity.publicKey);
    const genuine = statementFor(v.founder.vaultId, v.founder.deviceId, v.identity.privateKey).statement;
    const challenge = new Uint8Array([0xef, 0xbb, 0xbf, ...genuine]);
    const signature = sodium().crypto_sign_detached(challenge, v.identity.privateKey);

    // Act: the thief holding the tablet revokes the founder with it
    const tried = await refusal(
      client().revokeDevice(v.founder.deviceId, v.tablet.deviceId, v.tabletKeys, { statement: challenge, signature }),
    );

    // Assess
    expect(tried).toBe("FORBIDDEN");
    expect(await ctx().store.getDevice(v.founder.deviceId)).toMatchObject({ status: "active" });
  });

  test("refuses a peer revocation before the vault's identity key is registered; a device may still revoke itself", async () => {
    // Prepare
    const v = await vault();

    // Act
    const peer = await refusal(
      client().revokeDevice(
        v.tablet.deviceId,
        v.founder.deviceId,
        v.founderKeys,
        statementFor(v.founder.vaultId, v.tablet.deviceId, v.identity.privateKey),
      ),
    );
    const self = await client().revokeDevice(v.tablet.deviceId, v.tablet.deviceId, v.tabletKeys);

    // Assess
    expect(peer).toBe("FORBIDDEN");
    expect(self.status).toBe("revoked");
  });

  test("binds the identity key into the signed request: a key swapped into a signed body is refused", async () => {
    // Prepare: a registration signed for one key, its body then carrying another
    const v = await vault();
    const swapped = sodium().crypto_sign_keypair();
    const timestamp = new Date(ctx().now()).toISOString();
    const nonce = randomBytes(24).toString("base64url");
    const purpose: SignedPurpose = "vault-identity";
    const signedFor = Buffer.from(v.identity.publicKey).toString("base64url");
    const signature = signRequest(
      {
        purpose,
        targetDeviceId: v.founder.deviceId,
        signerDeviceId: v.founder.deviceId,
        timestamp,
        nonce,
        subject: signedFor,
      },
      Buffer.from(v.founderKeys.signing.seed, "base64url"),
    );

    // Act
    const response = await edge.current.request("POST", `/v1/devices/${v.founder.deviceId}/vault-identity`, {
      json: { timestamp, nonce, signature, identityKey: Buffer.from(swapped.publicKey).toString("base64url") },
    });

    // Assess
    expect(response.status).toBe(401);
    expect((response.json as { code: string }).code).toBe("CHALLENGE_INVALID");
    expect((await ctx().store.getVault(v.founder.vaultId))?.identityKey).toBeUndefined();
  });
});
