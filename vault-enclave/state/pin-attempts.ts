import { FREE_PIN_FAILURES, MAX_PIN_FAILURES, PIN_BACKOFF_BASE_MS } from "./constants";
import { PinAttemptsExhausted, PinLockedOut } from "./errors";
import type { OuterState, PinAttemptState } from "./types";

/**
 * The PIN attempt policy (DESIGN.md §3, invariant 7) as pure functions over the
 * attempt state sealed in the outer layer. Schedule and limits: constants.ts
 * (`FREE_PIN_FAILURES`, `PIN_BACKOFF_BASE_MS`, `MAX_PIN_FAILURES`).
 *
 * The counter is written before the PIN is checked, so that no outcome — a crash,
 * a restart, a host that drops the answer — gets a guess for free:
 *
 * 1. `beginPinAttempt(outer, now)` refuses while back-off or lock-out holds, and
 *    otherwise returns the next outer state (version + 1) with this attempt already
 *    counted as a failure;
 * 2. the runtime seals it (`resealOuter`) and waits for the conditional write to be
 *    acknowledged;
 * 3. only then does it derive the PIN key and check it (`openInner`);
 * 4. `completePinAttempt(pending, success)`: on success a new outer state with the
 *    counter reset, to be written like the first; on failure the pending state itself,
 *    already final — nothing more to write.
 *
 * A crash between 2 and 4 leaves the failure counted. Replaying an older blob to
 * undo it is caught only by a state version someone remembers (`assertNotOlder`).
 * Time comes from the enclave's clock: a host that could move it could shorten the
 * back-off, never the lock-out, which counts failures, not time.
 */

/** Whether a PIN may be checked now; `lockedUntil` is `Infinity` once the attempts are exhausted. */
export type PinAttemptDecision = { allowed: true } | { allowed: false; lockedUntil: number };

/** No failures: the state after a success and of a new vault. */
export const NO_PIN_FAILURES: Readonly<PinAttemptState> = Object.freeze({
  failures: 0,
  lockedUntil: null,
  lastFailureAt: null,
});

/**
 * The wait after `failures` failures before the next attempt: 0 up to
 * `FREE_PIN_FAILURES`, then 30 s doubling per failure, `Infinity` at `MAX_PIN_FAILURES`.
 */
export function backoffMs(failures: number): number {
  if (failures >= MAX_PIN_FAILURES) return Number.POSITIVE_INFINITY;
  if (failures <= FREE_PIN_FAILURES) return 0;
  return PIN_BACKOFF_BASE_MS * 2 ** (failures - FREE_PIN_FAILURES - 1);
}

/**
 * Whether a PIN may be checked at `now` (ms since the epoch).
 *
 * @example
 * const decision = mayTryPin(outer.attempts, Date.now());
 * if (!decision.allowed) reply(decision.lockedUntil === Infinity ? "exhausted" : decision.lockedUntil);
 */
export function mayTryPin(state: PinAttemptState, now: number): PinAttemptDecision {
  if (state.failures >= MAX_PIN_FAILURES) return { allowed: false, lockedUntil: Number.POSITIVE_INFINITY };
  if (state.lockedUntil !== null && now < state.lockedUntil) return { allowed: false, lockedUntil: state.lockedUntil };
  return { allowed: true };
}

/** The attempt state after one attempt with `outcome` at `now`. */
export function nextAttemptState(state: PinAttemptState, outcome: "success" | "failure", now: number): PinAttemptState {
  if (outcome === "success") return { ...NO_PIN_FAILURES };
  const failures = Math.min(state.failures + 1, MAX_PIN_FAILURES);
  const wait = backoffMs(failures);
  return {
    failures,
    lockedUntil: wait > 0 && Number.isFinite(wait) ? now + wait : null,
    lastFailureAt: now,
  };
}

/**
 * Step 1 of a PIN check: the outer state to write (version + 1) before the PIN is
 * checked, with this attempt counted as a failure. Seal it with `resealOuter` and
 * wait for the write to be acknowledged before deriving or checking anything.
 *
 * @throws PinLockedOut while back-off holds; PinAttemptsExhausted after `MAX_PIN_FAILURES`.
 */
export function beginPinAttempt(outer: OuterState, now: number): OuterState {
  const decision = mayTryPin(outer.attempts, now);
  if (!decision.allowed) {
    throw Number.isFinite(decision.lockedUntil) ? new PinLockedOut(decision.lockedUntil) : new PinAttemptsExhausted();
  }
  return { ...outer, stateVersion: outer.stateVersion + 1, attempts: nextAttemptState(outer.attempts, "failure", now) };
}

/**
 * Step 4 of a PIN check, given the state `beginPinAttempt` returned (and that was
 * written). Success: a new outer state (version + 1) with no failures, to be written.
 * Failure: `pending` itself (the same object): the failure is already counted and
 * there is nothing to write.
 */
export function completePinAttempt(pending: OuterState, success: boolean): OuterState {
  if (!success) return pending;
  return { ...pending, stateVersion: pending.stateVersion + 1, attempts: { ...NO_PIN_FAILURES } };
}
