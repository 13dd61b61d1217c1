/**
 * Taking a vault over from a silent owner (decision 0078) against hostile hosts, over
 * in-memory hosts: a lost answer costs one request, not the vault; junk in the device's
 * inbox, a live owner's stray refusal, colluding hosts, a take-over held back for
 * minutes, a gather cut short, a nonce moved into a plain request and a lease read from
 * a replica behind neither keep the vault out of service nor move it to a host the
 * device gave up on; a device joins by pairing after a lost answer.
 */
import { randomBytes } from "node:crypto";
import { VaultClient, type VaultMemory } from "../../../../client/vault";
import { verifyAttestation } from "../../../../lib/attestation";
import { sodiumReady } from "../../../../lib/crypto";
import { VettidError } from "../../../../lib/errors";
import { attestationDigest, handshakeKeyDigest } from "../../../../lib/handshake";
import { identityFingerprint } from "../../../../lib/pairing";
import { documentNonce } from "../../../../lib/vault-protocol";
import {
  encodeDeviceMessage,
  encodeEnclaveMessage,
  parseDeviceMessage,
  parseEnclaveMessage,
} from "../../../../lib/vault-protocol/messages";
import type { LeaseTable } from "../../../../vault-enclave/lease";
import { codeOf, founded, type Harness, type Person, PIN, person, startRuntimes } from "./harness";

const _ids = ["a", "b", "c", "d"].map((c) => c.repeat(32));
const never = () => new Promise<Uint8Array>(() => undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new VettidError("TIMEOUT", "no answer")), ms)),
  ]);

describe("taking a vault over from a silent owner, against hostile hosts", () => {
  let alice: Person;
  let clock = Date.now();
  const open: Harness[] = [];

  beforeEach(async () => {
    await sodiumReady();
    alice = await person("dev-alice");
    clock = Date.now();
  });
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  /** `n` runtimes over one set of host stores, witness and lease table (harness `startRuntimes`). */
  async function runtimes(n: number, wrap?: (t: LeaseTable, i: number) => LeaseTable): Promise<Harness[]> {
    const out = await startRuntimes(n, [alice.vaultId], () => clock, wrap);
    open.push(...out);
    return out;
  }

  /**
   * A device reaching every runtime through `via` (what each host relays back): the
   * transport takes the first answer, the gather every answer within 200 ms in arrival
   * order, after `junk` random answers a host published into the device's inbox first.
   */
  function device(
    h: Harness,
    all: Harness[],
    via: (r: Harness, data: Uint8Array) => Promise<Uint8Array>,
    memory: { current: VaultMemory },
    junk = 0,
  ): VaultClient {
    return new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => within(300, Promise.any(all.map((r) => via(r, data)))),
      gather: async function* gather(data) {
        const heard: Uint8Array[] = Array.from({ length: junk }, () => new Uint8Array(randomBytes(40)));
        for (const r of all)
          void via(r, data).then(
            (m) => heard.push(m),
            () => undefined,
          );
        await sleep(200);
        yield* heard;
      },
      attestation: { trustedRoots: [h.nsm.rootCertificatePem], manifest: h.manifest, time: new Date(clock) },
      memory: memory.current,
      remember: (known) => {
        memory.current = known;
      },
    });
  }

  /** The handshake key digest `r` attests with now (what a device that found it silent avoids). */
  async function keyDigestOf(r: Harness): Promise<Uint8Array> {
    const nonce = new Uint8Array(randomBytes(32));
    const probe = parseEnclaveMessage(
      await r.deliver(alice.vaultId, alice.deviceId, encodeDeviceMessage({ t: "attest", nonce })),
    );
    if (probe.t !== "attestation") throw new Error(`no attestation: ${probe.t}`);
    return handshakeKeyDigest(probe.x25519, probe.mlkem);
  }

  const honest = (r: Harness, data: Uint8Array, device = alice.deviceId) => r.deliver(alice.vaultId, device, data);
  const silentOf = (d: Uint8Array) => [{ digest: Buffer.from(d).toString("base64url"), at: Date.now() }];

  it("serves a device again from the only enclave once it answers again after one timeout", async () => {
    // Prepare: one honest runtime (a one-host deployment, or the only one left up)
    const [h] = (await runtimes(1)) as [Harness];
    let dropNextSealed = false;
    const via = (r: Harness, data: Uint8Array) => {
      if (dropNextSealed && parseDeviceMessage(data).t === "sealed") {
        dropNextSealed = false;
        return never();
      }
      return honest(r, data);
    };
    const memory = { current: { stateVersion: 0 } as VaultMemory };
    const phone = device(h, [h], via, memory);
    await phone.call("vault.init", {
      op: "vault.init",
      pin: PIN,
      signingKey: alice.signing.publicKey,
      vaultSalt: alice.vaultSalt,
    });

    // Act: one answer is lost (a network blip, a slow unlock); then everything is delivered
    dropNextSealed = true;
    const blip = await codeOf(phone.call("vault.status", { op: "vault.status" }));
    const retries: string[] = [];
    for (let i = 0; i < 3; i += 1) retries.push(await codeOf(phone.call("vault.status", { op: "vault.status" })));
    const nextCommand = await codeOf(device(h, [h], via, memory).call("vault.status", { op: "vault.status" }));

    // Assess: the blip costs one request, not the vault
    expect(blip).toBe("TIMEOUT");
    expect(retries).toContain("OK");
    expect(nextCommand).toBe("OK");
  });

  it("takes the vault from a silent owner even when its host floods the device's inbox with junk answers", async () => {
    // Prepare: a owns the vault; then its host turns hostile (drops all but attestations,
    // strips avoid) and, as any host may, publishes 300 junk answers into the device's inbox
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    let hostile = false;
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (!hostile || r !== a) {
        if (hostile) await sleep(20); // b is a little farther away
        return honest(r, data);
      }
      const message = parseDeviceMessage(data);
      const sent = message.t === "attest" ? encodeDeviceMessage({ t: "attest", nonce: message.nonce }) : data;
      const answer = await honest(r, sent);
      return parseEnclaveMessage(answer).t === "attestation" ? answer : never();
    };
    const memory = { current: (await founded(a, alice)).known };
    expect(a.runtime.leaseCount).toBe(1);
    const flooded = device(a, [a, b], via, memory, 300);

    // Act
    hostile = true;
    const silent = await codeOf(flooded.call("vault.status", { op: "vault.status" }));
    const after = await codeOf(flooded.call("vault.status", { op: "vault.status" }));

    // Assess: the junk is skipped and b, which answered, takes the vault over
    expect(silent).toBe("TIMEOUT");
    expect(after).toBe("OK");
    expect(b.runtime.leaseCount).toBe(1);
  });

  it("opens the take-over session at once after an honest owner was merely slow", async () => {
    // Prepare: a (honest) owns the vault; one answer of a's was late, so the device calls it silent
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: { stateVersion: 0 } as VaultMemory };
    memory.current = (await founded(a, alice)).known;
    expect(a.runtime.leaseCount).toBe(1);
    let dropNextSealed = true;
    const via = (r: Harness, data: Uint8Array) => {
      if (dropNextSealed && r === a && parseDeviceMessage(data).t === "sealed") {
        dropNextSealed = false;
        return never();
      }
      return honest(r, data);
    };
    const phone = device(a, [a, b], via, memory);
    expect(await codeOf(phone.call("vault.status", { op: "vault.status" }))).toBe("TIMEOUT");

    // Act: the device's next request, every message delivered to both
    const next = await codeOf(phone.call("vault.status", { op: "vault.status" }));

    // Assess: b takes the vault over and answers; the live owner a does not refuse the
    // handshake meant for b
    expect(next).toBe("OK");
    expect(b.runtime.leaseCount).toBe(1);
  });

  it("keeps a vault out of the hands of two colluding hosts once the device found its owner silent", async () => {
    // Prepare: o (honest) owns the vault and was once slow (the device calls it silent);
    // x and z are hostile non-owners nearer the device: they strip avoid when it names
    // them, pass on attestations and handshake answers, and drop everything else
    const [o, x, z] = (await runtimes(3)) as [Harness, Harness, Harness];
    const mine = new Map<Harness, Uint8Array>();
    let hostile = false;
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (!hostile) return honest(r, data);
      if (r === o) {
        await sleep(30);
        return honest(r, data);
      }
      const message = parseDeviceMessage(data);
      let sent = data;
      if (message.t === "attest" && message.avoid) {
        const others = message.avoid.filter((d) => !Buffer.from(d).equals(Buffer.from(mine.get(r) ?? [])));
        sent = encodeDeviceMessage({
          t: "attest",
          nonce: message.nonce,
          ...(others.length > 0 ? { avoid: others } : {}),
        });
      }
      if (message.t === "sealed") return never();
      const answer = await honest(r, sent);
      const parsed = parseEnclaveMessage(answer);
      if (parsed.t === "attestation") mine.set(r, handshakeKeyDigest(parsed.x25519, parsed.mlkem));
      return parsed.t === "attestation" || parsed.t === "handshake" ? answer : never();
    };
    const memory = { current: { stateVersion: 0 } as VaultMemory };
    memory.current = (await founded(o, alice)).known;
    expect(o.runtime.leaseCount).toBe(1);
    const oDigest = await keyDigestOf(o);
    memory.current = {
      ...memory.current,
      silent: [{ digest: Buffer.from(oDigest).toString("base64url"), at: Date.now() }],
    };

    // Act: the device tries eight times
    hostile = true;
    const phone = device(o, [o, x, z], via, memory);
    const codes: string[] = [];
    for (let i = 0; i < 8; i += 1) codes.push(await codeOf(phone.call("vault.status", { op: "vault.status" })));
    await Promise.all([o, x, z].map((r) => r.runtime.renewLeases()));

    // Assess: the device reaches its vault, and the hostile hosts do not end up owning it
    // (a session that opens at x or z forgives nobody: only a sealed answer does)
    expect(codes).toContain("OK");
    expect(x.runtime.leaseCount + z.runtime.leaseCount).toBe(0);
  }, 20_000);

  it("takes no lease for a take-over handshake the host held back for minutes while the device settled elsewhere", async () => {
    // Prepare: a owns the vault; the device found a silent; b's host holds the device's
    // take-over handshake (the device times out); c is honest
    const [a, b, c] = (await runtimes(3)) as [Harness, Harness, Harness];
    await founded(a, alice);
    const aDigest = await keyDigestOf(a);
    const memory = {
      current: {
        stateVersion: 0,
        silent: [{ digest: Buffer.from(aDigest).toString("base64url"), at: Date.now() }],
      } as VaultMemory,
    };
    let captured: Uint8Array | undefined;
    const viaB = (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (r !== b) return never();
      if (parseDeviceMessage(data).t === "handshake") {
        captured = new Uint8Array(data);
        return never();
      }
      return honest(r, data);
    };
    const first = await codeOf(
      device(a, [a, b, c], viaB, memory).call("vault.status", {
        op: "vault.status",
      }),
    );
    expect(first).toBe("TIMEOUT");
    expect(captured).toBeDefined();
    // the device then settles on c (avoiding a and b), which takes the vault over
    const phone = device(a, [a, b, c], honest, memory);
    await phone.call("vault.unlock", { op: "vault.unlock", pin: PIN });
    expect(c.runtime.leaseCount).toBe(1);
    await a.runtime.renewLeases();

    // Act: four minutes on (c renewing all along), b's host delivers the held take-over
    clock += 4 * 60_000;
    await c.runtime.renewLeases();
    const late = await Promise.race([
      b.deliver(alice.vaultId, alice.deviceId, captured as Uint8Array).then((m) => parseEnclaveMessage(m).t),
      sleep(100).then(() => "no answer"),
    ]);
    await c.runtime.renewLeases();

    // Assess: a consent the device gave minutes ago, for an enclave it gave up on, moves nothing
    expect(late).not.toBe("handshake");
    expect([b.runtime.leaseCount, c.runtime.leaseCount]).toEqual([0, 1]);
  });
  it("goes back to no silent enclave when its gather fails before the window ends: UNAVAILABLE, the silent list kept", async () => {
    // Prepare: a owns the vault and its host drops all but attestations; the device's
    // gather fails at once (a connection that broke), though b got the request
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: (await founded(a, alice)).known };
    const silent = silentOf(await keyDigestOf(a));
    memory.current = { ...memory.current, silent };
    const handshakesAtA: number[] = [];
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (r !== a) return honest(r, data);
      if (parseDeviceMessage(data).t === "handshake") handshakesAtA.push(1);
      const answer = await honest(r, data);
      return parseEnclaveMessage(answer).t === "attestation" ? answer : never();
    };
    const phone = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => within(300, Promise.any([a, b].map((r) => via(r, data)))),
      gather: async function* gather(data) {
        for (const r of [a, b]) void via(r, data).catch(() => undefined);
        yield* [];
        throw new VettidError("UNAVAILABLE", "the connection closed");
      },
      attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
      memory: memory.current,
      remember: (known) => {
        memory.current = known;
      },
    });

    // Act
    const code = await codeOf(phone.call("vault.status", { op: "vault.status" }));

    // Assess: a cut window proves nobody else is there, so the silent owner gets no handshake
    expect(code).toBe("UNAVAILABLE");
    expect(handshakesAtA).toEqual([]);
    expect(memory.current.silent).toEqual(silent);
    expect(b.runtime.leaseCount).toBe(0);
  });

  it("gives the avoided enclave's host no document for an avoid request by moving the bound nonce into a plain attest", async () => {
    // Prepare: a is the enclave the device avoids
    const [a] = (await runtimes(1)) as [Harness];
    await founded(a, alice);
    const avoid = [await keyDigestOf(a)];
    const nonce = new Uint8Array(randomBytes(32));
    const expected = documentNonce(nonce, avoid);

    // Act: a's host strips avoid and hands its enclave the nonce the device will expect
    const answer = parseEnclaveMessage(await honest(a, encodeDeviceMessage({ t: "attest", nonce: expected })));
    const verdict = await codeOf(
      verifyAttestation((answer as { document: Uint8Array }).document, {
        trustedRoots: [a.nsm.rootCertificatePem],
        manifest: a.manifest,
        time: new Date(clock),
        expectedNonce: expected,
        maxAgeMs: 5 * 60_000,
      }),
    );

    // Assess: the plain request's document nonce is hashed too, so it never equals one
    // an avoid request expects, whatever the host puts in it (not only the client's
    // key-digest skip, which a key rotation would end)
    expect(verdict).not.toBe("OK");
  });

  it("keeps the new owner's lease when its read for another device's old session comes from a replica behind the take-over", async () => {
    // Prepare: a owns the vault; b's reads of the table (direct gets: any replica
    // answers, however far behind) lag the write b's take-over made
    let lagging = false;
    let before: { owner: string; expiresAt: number } | undefined;
    const [a, b] = (await runtimes(2, (t, i) =>
      i !== 1
        ? t
        : {
            acquire: async (v, o) => {
              before = await t.peek(v);
              return t.acquire(v, o);
            },
            peek: async (v) => (lagging ? before : t.peek(v)),
            renew: (l) => t.renew(l),
            release: (l) => t.release(l),
          },
    )) as [Harness, Harness];
    await founded(a, alice);
    const aDigest = await keyDigestOf(a);
    // a second device's message of its old session at a (any session b does not hold)
    const staleSealed = encodeDeviceMessage({
      t: "sealed",
      session: Buffer.from(randomBytes(16)).toString("base64url"),
      envelope: new Uint8Array(randomBytes(80)),
    });
    const phone = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => within(300, honest(b, data)),
      attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
      memory: { stateVersion: 0, silent: silentOf(aDigest) },
    });
    await phone.call("vault.status", { op: "vault.status" });
    expect(b.runtime.leaseCount).toBe(1);

    // Act: the old session's message reaches b while b's replica has not seen b's write
    lagging = true;
    const toStale = await Promise.race([honest(b, staleSealed).then((m) => parseEnclaveMessage(m).t), sleep(100)]);
    lagging = false;
    await a.runtime.renewLeases();
    const next = await codeOf(phone.call("vault.status", { op: "vault.status" }));

    // Assess: a stale read does not fence out the owner whose compare-and-set won (an
    // earlier epoch is a replica behind), and the next request is served
    expect({ toStale, bLeases: b.runtime.leaseCount, next }).toEqual({ toStale: "error", bLeases: 1, next: "OK" });
  });

  it("keeps the vault from two colluding hosts that pass the first sealed answer of each session", async () => {
    // Prepare: o (honest) owns the vault and was once slow; x and z are hostile and
    // nearer: they pass attestations, handshakes and the first sealed answer of each
    // session, then drop
    const [o, x, z] = (await runtimes(3)) as [Harness, Harness, Harness];
    const passed = new Set<string>();
    let hostile = false;
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (!hostile) return honest(r, data);
      if (r === o) {
        await sleep(30);
        return honest(r, data);
      }
      const message = parseDeviceMessage(data);
      if (message.t === "sealed") {
        if (passed.has(message.session)) return never();
        const answer = await honest(r, data);
        if (parseEnclaveMessage(answer).t !== "sealed") return never();
        passed.add(message.session);
        return answer;
      }
      return honest(r, data);
    };
    const memory = { current: (await founded(o, alice)).known };
    memory.current = { ...memory.current, silent: silentOf(await keyDigestOf(o)) };
    const phone = device(o, [o, x, z], via, memory);

    // Act: eight requests
    hostile = true;
    const codes: string[] = [];
    for (let i = 0; i < 8; i += 1) codes.push(await codeOf(phone.call("vault.status", { op: "vault.status" })));
    await Promise.all([o, x, z].map((r) => r.runtime.renewLeases()));

    // Assess: the vault ends up back with the honest enclave, and stays there
    expect(codes.slice(-3)).toEqual(["OK", "OK", "OK"]);
    expect(x.runtime.leaseCount + z.runtime.leaseCount).toBe(0);
  }, 30_000);

  it("lets a joining device pair after one lost answer of the owner that holds the pairing", async () => {
    // Prepare: a (honest) owns the vault and opened a pairing; one answer of a to the
    // joining tablet was lost, so the tablet avoids a; b is honest too
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const phone = await founded(a, alice);
    const identityKey = new Uint8Array(Buffer.from(phone.known.identityKey as string, "base64url"));
    const { secret } = await phone.call("device.pair.start", { op: "device.pair.start", pin: PIN });
    const tablet = await person("dev-tablet");
    const tabletClient = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: tablet.deviceId,
      deviceKey: tablet.exchange,
      transport: (data) => within(500, Promise.any([a, b].map((r) => honest(r, data, tablet.deviceId)))),
      gather: async function* gather(data) {
        const heard = await Promise.allSettled([a, b].map((r) => within(150, honest(r, data, tablet.deviceId))));
        for (const h of heard) if (h.status === "fulfilled") yield h.value;
      },
      attestation: { trustedRoots: [a.nsm.rootCertificatePem], manifest: a.manifest, time: new Date(clock) },
      memory: { stateVersion: 0, silent: silentOf(await keyDigestOf(a)) },
    });

    // Act: three tries, within the pairing's lifetime
    const join = () =>
      codeOf(
        tabletClient.joinPairing({
          secret,
          signingKey: tablet.signing.publicKey,
          label: "tablet",
          identityFingerprint: identityFingerprint(identityKey),
        }),
      );
    const codes = [await join(), await join(), await join()];

    // Assess: the open pairing lives only in a's memory, so b refuses the tablet's
    // take-over (FORBIDDEN), and the device then asks as usual and pairs at a
    expect(codes).toContain("OK");
  });
  it("takes the vault from an owner whose host drops its answers to the device's plain attest", async () => {
    // Prepare: a owns the vault; after that session a's host drops every answer its
    // enclave makes for the device, attestations too: no enclave is ever named silent
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: (await founded(a, alice)).known };
    const via = (r: Harness, data: Uint8Array) => (r === a ? never() : honest(r, data));
    const phone = device(a, [a, b], via, memory);

    // Act: the next command, then a's renewal
    const code = await codeOf(phone.call("vault.status", { op: "vault.status" }));
    await a.runtime.renewLeases();

    // Assess: the unanswered plain attest made the device ask every enclave; b, not the
    // holder, was chosen and took the vault over
    expect(code).toBe("OK");
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([0, 1]);
  });

  it("answers an attest whose avoid names no enclave from every enclave, the holder saying so", async () => {
    // Prepare: a holds alice's vault, b does not
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    await founded(a, alice);
    const nonce = new Uint8Array(randomBytes(32));
    const avoid = [new Uint8Array(randomBytes(32))];
    const ask = async (r: Harness) =>
      parseEnclaveMessage(await within(300, honest(r, encodeDeviceMessage({ t: "attest", nonce, avoid }))));

    // Act
    const [fromA, fromB] = [await ask(a), await ask(b)];

    // Assess: both answer; each document's nonce says whether its enclave holds the lease
    const nonceOf = async (m: typeof fromA) =>
      m.t === "attestation"
        ? Buffer.from(
            (
              await verifyAttestation(m.document, {
                trustedRoots: [a.nsm.rootCertificatePem],
                manifest: a.manifest,
                time: new Date(clock),
              })
            ).nonce ?? [],
          ).toString("hex")
        : m.t;
    expect(await nonceOf(fromA)).toBe(Buffer.from(documentNonce(nonce, avoid, true)).toString("hex"));
    expect(await nonceOf(fromB)).toBe(Buffer.from(documentNonce(nonce, avoid, false)).toString("hex"));
  });

  it("serves a device without a gather from the only enclave after one timeout", async () => {
    // Prepare: one runtime; a client with no gather (only its transport's first answer)
    const [h] = (await runtimes(1)) as [Harness];
    const memory = { current: (await founded(h, alice)).known };
    let dropNextSealed = false;
    const phone = new VaultClient({
      vaultId: alice.vaultId,
      deviceId: alice.deviceId,
      deviceKey: alice.exchange,
      transport: (data) => {
        if (dropNextSealed && parseDeviceMessage(data).t === "sealed") {
          dropNextSealed = false;
          return within(300, never());
        }
        return within(300, honest(h, data));
      },
      attestation: { trustedRoots: [h.nsm.rootCertificatePem], manifest: h.manifest, time: new Date(clock) },
      memory: memory.current,
    });

    // Act: one lost answer, then everything delivered
    dropNextSealed = true;
    const blip = await codeOf(phone.call("vault.status", { op: "vault.status" }));
    const retry = await codeOf(phone.call("vault.status", { op: "vault.status" }));

    // Assess: the transport's timeout is a window that ran its length, so the device
    // gives the silent enclave its second chance at once
    expect([blip, retry]).toEqual(["TIMEOUT", "OK"]);
  });
  it("keeps the vault at an honest owner when another host forges errors to the device's handshakes and sealed messages", async () => {
    // Prepare: a (honest host, honest enclave) owns the vault. b's host is hostile: it
    // passes on what its own enclave answers (attestations, handshakes for its own
    // documents, sessions once it holds the vault) and answers every other handshake or
    // sealed message for the device first, with an error of its own making. Any host may
    // answer each device request once (decision 0078), and errors are not authenticated.
    const [a, b] = (await runtimes(2)) as [Harness, Harness];
    const memory = { current: (await founded(a, alice)).known };
    const forged = encodeEnclaveMessage({ t: "error", code: "OVERLOADED", message: "retry later" });
    const issuedByB = new Set<string>();
    const via = async (r: Harness, data: Uint8Array): Promise<Uint8Array> => {
      if (r === a) return honest(r, data);
      const message = parseDeviceMessage(data);
      if (message.t === "attest") {
        const answer = await honest(r, data);
        const parsed = parseEnclaveMessage(answer);
        if (parsed.t === "attestation") issuedByB.add(Buffer.from(attestationDigest(parsed.document)).toString("hex"));
        return answer;
      }
      if (message.t === "handshake" && issuedByB.has(Buffer.from(message.attestation).toString("hex"))) {
        return honest(r, data);
      }
      if (message.t === "sealed" && b.runtime.leaseCount === 1) return honest(r, data);
      return forged; // first in the device's inbox, ahead of a's genuine answer
    };
    const phone = device(a, [a, b], via, memory);

    // Act: the device's commands, a few seconds apart
    const codes: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      codes.push(await codeOf(phone.call("vault.status", { op: "vault.status" })));
      clock += 2_000;
    }
    await a.runtime.renewLeases();

    // Assess: a forged error from some host is not the honest owner's silence, so the
    // vault stays with a and never lands on the forging host's enclave; and the device
    // takes a's answers, which authenticate, over the forged ones (decision 0079).
    expect(codes).toEqual(["OK", "OK", "OK", "OK"]);
    expect([a.runtime.leaseCount, b.runtime.leaseCount]).toEqual([1, 0]);
    expect(memory.current.silent ?? []).toEqual([]);
  });
});
