import {
  cosignManifest,
  findRelease,
  generateManifestKeyPair,
  isApproved,
  type Manifest,
  manifestDigest,
  releaseKeySet,
  signManifest,
  verifyManifest,
  verifyManifestChain,
  verifyManifestUpdate,
} from "../../../lib/manifest";
import { MAX_MANIFEST_CATCH_UP } from "../../../lib/manifest/constants";
import { h96, manifest, now, type ReleaseKeys, release, releaseKeys } from "./fixtures";

/** The attacks release governance refuses (decision 0067), each with the code it is refused with. */
describe("release governance", () => {
  let k: ReleaseKeys;
  let first: string;
  beforeAll(async () => {
    k = await releaseKeys();
    first = await signManifest(manifest(k.set), [k.a.privateKey, k.b.privateKey]);
  });

  /** Serial 2 extending `first` (its digest as previous), signed by a and b unless told. */
  function second(overrides: Partial<Manifest> = {}): Manifest {
    return manifest(k.set, {
      serial: 2,
      previous: manifestDigest(first),
      issued_at: "2026-11-29T00:00:00Z",
      ...overrides,
    });
  }

  it("accept a manifest signed by M keys of distinct owners, and the next one that extends it", async () => {
    await expect(verifyManifest(first, { keys: k.set, now })).resolves.toMatchObject({ serial: 1 });
    const text = await signManifest(second(), [k.b.privateKey, k.c.privateKey]);
    await expect(verifyManifest(text, { previous: first, now })).resolves.toMatchObject({ serial: 2 });
    await expect(verifyManifest(first, { previous: first, now })).resolves.toMatchObject({ serial: 1 });
  });

  describe("fewer than M keys", () => {
    it("refuse one signature where the threshold is two", async () => {
      const text = await signManifest(manifest(k.set), k.a.privateKey);
      await expect(verifyManifest(text, { keys: k.set, now })).rejects.toMatchObject({ code: "MANIFEST_THRESHOLD" });
    });

    it("count one key once, however often it signed", async () => {
      const once = await signManifest(manifest(k.set), k.a.privateKey);
      const envelope = JSON.parse(once) as { payload: string; signatures: unknown[] };
      const twice = JSON.stringify({ ...envelope, signatures: [envelope.signatures[0], envelope.signatures[0]] });
      await expect(verifyManifest(twice, { keys: k.set, now })).rejects.toMatchObject({ code: "MANIFEST_THRESHOLD" });
      await expect(cosignManifest(once, k.a.privateKey)).rejects.toMatchObject({ code: "MANIFEST_INVALID" });
    });

    it("refuse M keys of one owner (all in one AWS account)", async () => {
      const oneAccount = await releaseKeys(["aws:111111111111", "aws:111111111111", "offline:hsm-1"]);
      const text = await signManifest(manifest(oneAccount.set), [oneAccount.a.privateKey, oneAccount.b.privateKey]);
      await expect(verifyManifest(text, { keys: oneAccount.set, now })).rejects.toMatchObject({
        code: "MANIFEST_THRESHOLD",
      });
    });

    it("ignore signatures of keys outside the set", async () => {
      const stranger = await generateManifestKeyPair();
      const text = await signManifest(manifest(k.set), [k.a.privateKey, stranger.privateKey]);
      await expect(verifyManifest(text, { keys: k.set, now })).rejects.toMatchObject({ code: "MANIFEST_THRESHOLD" });
    });

    it("refuse a forged signature by a key of the set", async () => {
      const good = await signManifest(manifest(k.set), [k.a.privateKey, k.b.privateKey]);
      const other = await signManifest(manifest(k.set, { expires_at: "2027-02-27T00:00:00Z" }), [k.c.privateKey]);
      const envelope = JSON.parse(good) as { payload: string; signatures: { protected: string; signature: string }[] };
      const foreign = (JSON.parse(other) as typeof envelope).signatures[0]!;
      const forged = JSON.stringify({ ...envelope, signatures: [...envelope.signatures, foreign] });
      await expect(verifyManifest(forged, { keys: k.set, now })).rejects.toMatchObject({ code: "MANIFEST_INVALID" });
    });

    it("refuse a key set whose threshold is below the minimum, pinned or in the manifest", async () => {
      const weak = releaseKeySet(1, [{ owner: "aws:111111111111", jwk: k.a.publicKey }]);
      const text = await signManifest(manifest(weak), k.a.privateKey);
      await expect(verifyManifest(text, { keys: weak, now })).rejects.toMatchObject({ code: "MANIFEST_THRESHOLD" });
      const lowered = await signManifest(second({ keys: weak }), [k.a.privateKey, k.b.privateKey]);
      await expect(verifyManifest(lowered, { previous: first, now })).rejects.toMatchObject({
        code: "MANIFEST_THRESHOLD",
      });
    });

    it("refuse a key set that lists one key twice under two owners", () => {
      expect(() =>
        releaseKeySet(2, [
          { owner: "aws:111111111111", jwk: k.a.publicKey },
          { owner: "aws:222222222222", jwk: { ...k.a.publicKey, kid: "again" } },
        ]),
      ).toThrow(expect.objectContaining({ code: "MANIFEST_INVALID" }));
    });
    it("refuse a key set that lists one key twice under a second, non-canonical encoding of its coordinates", async () => {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const x = k.a.publicKey.x as string;
      // The last of 43 base64url characters carries 4 bits and 2 spare ones: flipping a spare bit names the same key.
      const twin = x.slice(0, 42) + alphabet[alphabet.indexOf(x[42]!) ^ 1];
      expect(() =>
        releaseKeySet(2, [
          { owner: "aws:111111111111", jwk: k.a.publicKey },
          { owner: "aws:222222222222", jwk: { ...k.a.publicKey, x: twin, kid: "again" } },
        ]),
      ).toThrow(expect.objectContaining({ code: "MANIFEST_INVALID" }));
    });
  });

  describe("a manifest that does not extend the previous", () => {
    it("refuse a next serial naming another previous", async () => {
      const text = await signManifest(second({ previous: h96("0") }), [k.a.privateKey, k.b.privateKey]);
      await expect(verifyManifest(text, { previous: first, now })).rejects.toMatchObject({ code: "MANIFEST_FORK" });
    });

    it("refuse another manifest with the serial already seen", async () => {
      const twin = await signManifest(manifest(k.set, { issued_at: "2026-11-28T00:00:01Z" }), [
        k.a.privateKey,
        k.b.privateKey,
      ]);
      await expect(verifyManifest(twin, { previous: first, now })).rejects.toMatchObject({ code: "MANIFEST_FORK" });
    });

    it("refuse a next serial that rewrites a release already listed or brings a retired one back", async () => {
      const rewrite = await signManifest(second({ releases: [release({ pcr0: h96("e") })] }), [
        k.a.privateKey,
        k.b.privateKey,
      ]);
      await expect(verifyManifest(rewrite, { previous: first, now })).rejects.toMatchObject({ code: "MANIFEST_FORK" });
      const retired = await signManifest(second({ releases: [release({ status: "retired" })] }), [
        k.a.privateKey,
        k.b.privateKey,
      ]);
      const back = await signManifest(
        manifest(k.set, {
          serial: 3,
          previous: manifestDigest(retired),
          issued_at: "2026-11-30T00:00:00Z",
        }),
        [k.a.privateKey, k.b.privateKey],
      );
      await expect(verifyManifestChain([retired, back], { previous: first, now })).rejects.toMatchObject({
        code: "MANIFEST_FORK",
      });
    });

    it("refuse an older serial, and ask for the manifests in between a jump", async () => {
      const two = await signManifest(second(), [k.a.privateKey, k.b.privateKey]);
      await expect(verifyManifest(first, { previous: two, now })).rejects.toMatchObject({ code: "MANIFEST_ROLLBACK" });
      await expect(verifyManifest(first, { keys: k.set, minSerial: 2, now })).rejects.toMatchObject({
        code: "MANIFEST_ROLLBACK",
      });
      const three = await signManifest(
        manifest(k.set, { serial: 3, previous: manifestDigest(two), issued_at: "2026-11-30T00:00:00Z" }),
        [k.a.privateKey, k.b.privateKey],
      );
      await expect(verifyManifest(three, { previous: first, now })).rejects.toMatchObject({ code: "MANIFEST_GAP" });
      await expect(verifyManifestChain([two, three], { previous: first, now })).resolves.toMatchObject({
        manifest: { serial: 3 },
      });
    });
  });

  describe("a release inside its activation delay", () => {
    it("refuse a release that activates less than the delay after its approval", async () => {
      const early = release({ activates_at: "2026-11-29T00:00:00Z" });
      const text = await signManifest(manifest(k.set, { releases: [early] }), [k.a.privateKey, k.b.privateKey]);
      await expect(verifyManifest(text, { keys: k.set, now })).rejects.toMatchObject({
        code: "MANIFEST_ACTIVATION_DELAY",
      });
    });

    it("refuse a new release whose approval is backdated before the previous manifest", async () => {
      const backdated = release({
        id: "new",
        pcr0: h96("e"),
        approved_at: "2026-11-01T00:00:00Z",
        activates_at: "2026-11-29T00:00:00Z",
      });
      const text = await signManifest(second({ releases: [release(), backdated] }), [k.a.privateKey, k.b.privateKey]);
      await expect(verifyManifest(text, { previous: first, now })).rejects.toMatchObject({
        code: "MANIFEST_ACTIVATION_DELAY",
      });
    });

    it("approve no release before it activates", async () => {
      const m = await verifyManifest(first, { keys: k.set, now });
      const pcrs = { 0: h96("a"), 1: h96("b"), 2: h96("c") };
      expect(findRelease(m, pcrs, new Date("2026-12-04T23:59:59Z"))).toBeUndefined();
      expect(isApproved(m.releases[0]!, new Date("2026-12-05T00:00:00Z"))).toBe(true);
    });
  });

  describe("an expired manifest", () => {
    it("refuse it at and after expires_at, and approve nothing from it", async () => {
      const at = new Date("2027-02-26T00:00:00Z");
      await expect(verifyManifest(first, { keys: k.set, now: at })).rejects.toMatchObject({ code: "MANIFEST_EXPIRED" });
      const m = await verifyManifest(first, { keys: k.set, now });
      expect(findRelease(m, { 0: h96("a"), 1: h96("b"), 2: h96("c") }, at)).toBeUndefined();
    });
  });

  describe("key set rotation", () => {
    it("accept a new set only from a manifest signed by M of the previous set and M of the new one", async () => {
      const next = await releaseKeys(["aws:333333333333", "aws:444444444444", "offline:hsm-2"]);
      const rotation = second({ keys: next.set });
      const both = await signManifest(rotation, [k.a.privateKey, k.b.privateKey, next.a.privateKey, next.b.privateKey]);
      await expect(verifyManifest(both, { previous: first, now })).resolves.toMatchObject({ keys: next.set });
      const onlyNew = await signManifest(rotation, [next.a.privateKey, next.b.privateKey]);
      await expect(verifyManifest(onlyNew, { previous: first, now })).rejects.toMatchObject({
        code: "MANIFEST_THRESHOLD",
      });
      const onlyOld = await signManifest(rotation, [k.a.privateKey, k.b.privateKey]);
      await expect(verifyManifest(onlyOld, { previous: first, now })).rejects.toMatchObject({
        code: "MANIFEST_THRESHOLD",
      });

      // After the rotation the new set alone signs; the old set no longer can.
      const third = (keys: typeof next) =>
        signManifest(
          manifest(next.set, { serial: 3, previous: manifestDigest(both), issued_at: "2026-11-30T00:00:00Z" }),
          [keys.a.privateKey, keys.b.privateKey],
        );
      await expect(verifyManifest(await third(next), { previous: both, now })).resolves.toMatchObject({ serial: 3 });
      await expect(verifyManifest(await third(k), { previous: both, now })).rejects.toMatchObject({
        code: "MANIFEST_THRESHOLD",
      });
      // A client that pinned the old set catches up through the history.
      await expect(verifyManifestChain([first, both, await third(next)], { keys: k.set, now })).resolves.toMatchObject({
        manifest: { serial: 3 },
      });
    });

    /** Serial 2 rotating to a new key set (signed by both sets), and serial 3 signed by the new set alone. */
    async function rotatedAtSerial2() {
      const next = await releaseKeys(["aws:333333333333", "aws:444444444444", "offline:hsm-2"]);
      const both = await signManifest(second({ keys: next.set }), [
        k.a.privateKey,
        k.b.privateKey,
        next.a.privateKey,
        next.b.privateKey,
      ]);
      const third = await signManifest(
        manifest(next.set, { serial: 3, previous: manifestDigest(both), issued_at: "2026-11-30T00:00:00Z" }),
        [next.a.privateKey, next.b.privateKey],
      );
      return { next, both, third };
    }

    it("catch up across a rotation: a device that saw serial 1 fetches the rotation it missed", async () => {
      const { next, both, third } = await rotatedAtSerial2();
      const fetched: number[] = [];
      const history = (serial: number) => {
        fetched.push(serial);
        return serial === 2 ? Promise.resolve(both) : undefined;
      };
      // serial 3 carries no signature of the set the device trusts; only the history explains it
      await expect(verifyManifestUpdate(third, { previous: first, now }, history)).resolves.toMatchObject({
        serial: 3,
        keys: next.set,
      });
      expect(fetched).toEqual([2]);
      // a forged serial 3 (the old set's keys cannot sign for the new set) still fails after the catch-up
      const forged = await signManifest(
        manifest(next.set, { serial: 3, previous: manifestDigest(both), issued_at: "2026-11-30T00:00:00Z" }),
        [k.a.privateKey, k.b.privateKey],
      );
      await expect(verifyManifestUpdate(forged, { previous: first, now }, history)).rejects.toMatchObject({
        code: "MANIFEST_THRESHOLD",
      });
    });

    it("catch up from the pinned key set's serial when nothing was seen yet (a proxy restarted after a rotation)", async () => {
      const { next, both, third } = await rotatedAtSerial2();
      const fetched: number[] = [];
      const published = [first, both];
      const history = (serial: number) => {
        fetched.push(serial);
        return Promise.resolve(published[serial - 1]!);
      };
      await expect(verifyManifestUpdate(third, { keys: k.set, now }, history)).rejects.toMatchObject({
        code: "MANIFEST_THRESHOLD",
      });
      await expect(verifyManifestUpdate(third, { keys: k.set, minSerial: 1, now }, history)).resolves.toMatchObject({
        serial: 3,
        keys: next.set,
      });
      expect(fetched).toEqual([1, 2]);
      // the history itself must start from the pinned set: a stranger's serial 1 is refused
      const stranger = await releaseKeys(["aws:555555555555", "aws:666666666666", "offline:hsm-3"]);
      const theirs = await signManifest(manifest(stranger.set), [stranger.a.privateKey, stranger.b.privateKey]);
      published[0] = theirs;
      await expect(verifyManifestUpdate(third, { keys: k.set, minSerial: 1, now }, history)).rejects.toMatchObject({
        code: "MANIFEST_THRESHOLD",
      });
    });

    it("fetch the history one serial at a time, stop at the first bad one, and refuse a jump beyond the cap", async () => {
      const stranger = await releaseKeys(["aws:555555555555", "aws:666666666666", "offline:hsm-3"]);
      const bogus = await signManifest(
        manifest(stranger.set, { serial: 1_000_000, previous: h96("0"), issued_at: "2026-11-30T00:00:00Z" }),
        [stranger.a.privateKey, stranger.b.privateKey],
      );
      const fetched: number[] = [];
      const history = (serial: number) => {
        fetched.push(serial);
        return Promise.resolve(first);
      };
      await expect(verifyManifestUpdate(bogus, { previous: first, now }, history)).rejects.toMatchObject({
        code: "MANIFEST_GAP",
      });
      expect(fetched).toEqual([]);

      const near = await signManifest(
        manifest(stranger.set, {
          serial: 1 + MAX_MANIFEST_CATCH_UP,
          previous: h96("0"),
          issued_at: "2026-11-30T00:00:00Z",
        }),
        [stranger.a.privateKey, stranger.b.privateKey],
      );
      // the host answers serial 2 with serial 1 again: refused at the first fetch, nothing more asked
      await expect(verifyManifestUpdate(near, { previous: first, now }, history)).rejects.toMatchObject({
        code: "MANIFEST_INVALID",
      });
      expect(fetched).toEqual([2]);
    });

    /** Serial 4 extending `third`, signed by the new set. */
    async function fourthAfter(next: ReleaseKeys, third: string) {
      return signManifest(
        manifest(next.set, { serial: 4, previous: manifestDigest(third), issued_at: "2026-12-01T00:00:00Z" }),
        [next.a.privateKey, next.b.privateKey],
      );
    }

    it("catch up from the pinned set's serial, not from the highest serial seen, when the record of the last one is gone", async () => {
      // A device saw serial 3 (after the rotation at 2) and lost its record of it (deleted
      // as damaged, or kept by a client from before the record existed): its floor is 3,
      // its pinned set is serial 1's.
      const { next, both, third } = await rotatedAtSerial2();
      const fourth = await fourthAfter(next, third);
      const published = [first, both, third];
      const history = (serial: number) => Promise.resolve(published[serial - 1]!);
      await expect(
        verifyManifestUpdate(fourth, { keys: k.set, minSerial: 3, anchorSerial: 1, now }, history),
      ).resolves.toMatchObject({ serial: 4, keys: next.set });
      // the floor still holds for the manifest accepted: serial 3 is not accepted over a floor of 4
      await expect(
        verifyManifestUpdate(third, { keys: k.set, minSerial: 4, anchorSerial: 1, now }, history),
      ).rejects.toMatchObject({ code: "MANIFEST_ROLLBACK" });
    });

    it("catch up through serials below a floor raised since the manifest seen (a client release's built-in minimum)", async () => {
      const { next, both, third } = await rotatedAtSerial2();
      const fourth = await fourthAfter(next, third);
      const published = [first, both, third];
      const history = (serial: number) => Promise.resolve(published[serial - 1]!);
      await expect(
        verifyManifestUpdate(fourth, { previous: first, minSerial: 3, now }, history),
      ).resolves.toMatchObject({ serial: 4 });
    });
  });
});
