import { sodiumReady } from "../../../../lib/crypto";
import {
  backoffMs,
  beginPinAttempt,
  completePinAttempt,
  derivePinKey,
  MAX_PIN_FAILURES,
  mayTryPin,
  NO_PIN_FAILURES,
  nextAttemptState,
  type OuterState,
  openInner,
  openOuter,
  PinAttemptsExhausted,
  PinIncorrect,
  PinLockedOut,
  parseStateBlob,
  resealOuter,
  type SealedState,
} from "../../../../vault-enclave/state";
import { PIN, sealedBlob, T0, thrown, type VaultKeys, vaultKeys } from "./fixtures";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

let keys: VaultKeys;

beforeAll(async () => {
  await sodiumReady();
  keys = vaultKeys();
});

/** `n` failures in a row, each as early as the schedule allows. */
function failTimes(n: number, start = T0) {
  let state = { ...NO_PIN_FAILURES };
  let now = start;
  for (let i = 0; i < n; i++) {
    const decision = mayTryPin(state, now);
    if (!decision.allowed) now = decision.lockedUntil;
    state = nextAttemptState(state, "failure", now);
  }
  return { state, now };
}

/** One PIN attempt as the runtime makes it: count, write, check, complete (write on success). */
function attempt(blob: Uint8Array, pin: string, now: number, crashAfterCount = false): Uint8Array {
  const sealed = parseStateBlob(blob);
  const outer = openOuter(sealed, keys);
  const pending = beginPinAttempt(outer, now);
  const written = resealOuter(sealed, pending, keys);
  if (crashAfterCount) return written;
  const pinKey = derivePinKey(pin, outer.pin.salt, outer.pin.kdf);
  let success = true;
  try {
    openInner(sealed, pending, { ...keys, pinKey });
  } catch (err) {
    if (!(err instanceof PinIncorrect)) throw err;
    success = false;
  }
  const done = completePinAttempt(pending, success);
  return done === pending ? written : resealOuter(parseStateBlob(written), done, keys);
}

function attemptsOf(blob: Uint8Array): OuterState["attempts"] {
  return openOuter(blob, keys).attempts;
}

describe("PIN attempt policy", () => {
  it("allows two free failures, then backs off 30 s doubling per failure, then locks out for good at 10", () => {
    // Act
    const waits = Array.from({ length: MAX_PIN_FAILURES + 2 }, (_, n) => backoffMs(n));

    // Assess
    expect(waits).toEqual([
      0,
      0,
      0,
      30 * SECOND,
      MINUTE,
      2 * MINUTE,
      4 * MINUTE,
      8 * MINUTE,
      16 * MINUTE,
      32 * MINUTE,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it("records each failure and holds the back-off until its time", () => {
    // Prepare
    const { state, now } = failTimes(4);

    // Act
    const early = mayTryPin(state, now + MINUTE - 1);
    const onTime = mayTryPin(state, now + MINUTE);

    // Assess
    expect(state).toEqual({ failures: 4, lockedUntil: now + MINUTE, lastFailureAt: now });
    expect(early).toEqual({ allowed: false, lockedUntil: now + MINUTE });
    expect(onTime).toEqual({ allowed: true });
  });

  it("stays locked when the clock goes backwards", () => {
    // Prepare
    const { state, now } = failTimes(3);

    // Assess
    expect(mayTryPin(state, now - 10 * MINUTE)).toEqual({ allowed: false, lockedUntil: now + 30 * SECOND });
  });

  it("locks out after the 10th failure whatever the time", () => {
    // Prepare
    const { state, now } = failTimes(MAX_PIN_FAILURES);

    // Act
    const muchLater = mayTryPin(state, now + 10 * 365 * 24 * 60 * MINUTE);

    // Assess
    expect(state.failures).toBe(MAX_PIN_FAILURES);
    expect(muchLater).toEqual({ allowed: false, lockedUntil: Number.POSITIVE_INFINITY });
    expect(nextAttemptState(state, "failure", now).failures).toBe(MAX_PIN_FAILURES);
  });

  it("refuses to begin an attempt during back-off and after lock-out, with typed errors", () => {
    // Prepare
    const outer = openOuter(sealedBlob(keys), keys);
    const backingOff = failTimes(5);
    const exhausted = failTimes(MAX_PIN_FAILURES);

    // Act
    const locked = thrown(() => beginPinAttempt({ ...outer, attempts: backingOff.state }, backingOff.now + SECOND));
    const gone = thrown(() => beginPinAttempt({ ...outer, attempts: exhausted.state }, exhausted.now + 365 * MINUTE));

    // Assess
    expect(locked).toBeInstanceOf(PinLockedOut);
    expect(locked).toMatchObject({ code: "PIN_LOCKED_OUT", lockedUntil: backingOff.now + 2 * MINUTE });
    expect(gone).toBeInstanceOf(PinAttemptsExhausted);
    expect((gone as PinAttemptsExhausted).code).toBe("PIN_ATTEMPTS_EXHAUSTED");
  });

  it("pre-counts the attempt in a new state version before the PIN is checked", () => {
    // Prepare
    const outer = openOuter(sealedBlob(keys, 9), keys);

    // Act
    const pending = beginPinAttempt(outer, T0);

    // Assess
    expect(pending.stateVersion).toBe(10);
    expect(pending.attempts).toEqual({ failures: 1, lockedUntil: null, lastFailureAt: T0 });
    expect(pending.inner).toEqual(outer.inner);
    expect(outer.attempts.failures).toBe(0);
  });

  it("resets the counter on success; a failure needs no second write", () => {
    // Prepare
    const outer = { ...openOuter(sealedBlob(keys), keys), attempts: failTimes(2).state };
    const pending = beginPinAttempt(outer, T0 + MINUTE);

    // Act
    const succeeded = completePinAttempt(pending, true);
    const failed = completePinAttempt(pending, false);

    // Assess
    expect(succeeded.stateVersion).toBe(pending.stateVersion + 1);
    expect(succeeded.attempts).toEqual(NO_PIN_FAILURES);
    expect(failed).toBe(pending);
    expect(failed.attempts.failures).toBe(3);
  });

  it("keeps the lock-out across attempts that were counted and written but never completed", () => {
    // Prepare
    let blob = sealedBlob(keys);
    let now = T0;

    // Act: every attempt crashes between the counter write and the check.
    for (let i = 0; i < MAX_PIN_FAILURES; i++) {
      const decision = mayTryPin(attemptsOf(blob), now);
      if (!decision.allowed) now = decision.lockedUntil;
      blob = attempt(blob, PIN, now, true);
    }
    const err = thrown(() => attempt(blob, PIN, now + 24 * 60 * MINUTE));

    // Assess: even the right PIN is no longer checked.
    expect(attemptsOf(blob).failures).toBe(MAX_PIN_FAILURES);
    expect(err).toBeInstanceOf(PinAttemptsExhausted);
  });

  it("holds the back-off across a crash after the counter write, and a right PIN then resets it", () => {
    // Prepare: two wrong PINs, then a third attempt that crashes after being counted.
    let blob = sealedBlob(keys);
    blob = attempt(blob, "000000", T0);
    blob = attempt(blob, "111111", T0 + SECOND);
    blob = attempt(blob, PIN, T0 + 2 * SECOND, true);

    // Act
    const during = thrown(() => attempt(blob, PIN, T0 + 3 * SECOND));
    const after = attempt(blob, PIN, T0 + 2 * SECOND + 30 * SECOND);

    // Assess
    expect(during).toBeInstanceOf(PinLockedOut);
    expect(attemptsOf(after)).toEqual(NO_PIN_FAILURES);
    expect(openOuter(after, keys).stateVersion).toBe(6);
  });

  it("counts a wrong PIN once, in the state written before the check", () => {
    // Prepare
    const blob = sealedBlob(keys);

    // Act
    const afterWrong = attempt(blob, "000000", T0);
    const sealed: SealedState = parseStateBlob(afterWrong);

    // Assess
    expect(sealed.stateVersion).toBe(2);
    expect(attemptsOf(afterWrong)).toEqual({ failures: 1, lockedUntil: null, lastFailureAt: T0 });
  });
});
