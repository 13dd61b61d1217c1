import { StateRolledBack } from "./errors";

/**
 * Refuses a state older than one already seen. The caller keeps `seen`: the device
 * remembers the highest state version it was shown, and the runtime the version it
 * last wrote or read (and, with the durability work, a witness outside the host's
 * reach). An equal version is the same state read again and passes.
 *
 * The host can always serve an old blob whole: it authenticates, because an enclave
 * sealed it. Only this comparison catches it.
 *
 * @throws StateRolledBack (`STALE_STATE`) when `got < seen`.
 * @throws RangeError when either is not a non-negative safe integer.
 *
 * @example
 * const outer = openOuter(sealed, { vaultId, rootKey });
 * assertNotOlder(lastSeenVersion, outer.stateVersion);
 */
export function assertNotOlder(seen: number, got: number): void {
  for (const v of [seen, got]) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError("state versions are non-negative safe integers");
  }
  if (got < seen) throw new StateRolledBack(seen, got);
}
