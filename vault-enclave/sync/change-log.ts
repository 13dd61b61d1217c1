/**
 * Where the runtime keeps a vault's sealed change events (docs/decisions/0073): an
 * append-only log per vault with positions that only grow. In a deployment it is the
 * JetStream stream `vettid-sync` over the runtime's own NATS connection
 * (jetstream-change-log.ts); whoever runs NATS can drop, repeat or reorder what it
 * serves, so the runtime trusts nothing it reads here beyond what opens under the
 * vault's key and chains to the head its sealed state names.
 */
export interface ChangeLog {
  /**
   * Appends `data` to `vaultId`'s log and resolves with its position once the store
   * holds it (a JetStream ack).
   * @throws VettidError `UNAVAILABLE` when the store does not confirm it.
   */
  append(vaultId: string, data: Uint8Array): Promise<number>;
  /**
   * The first stored message of `vaultId` at or after position `from` (≥ 1), or
   * undefined past the last.
   * @throws VettidError `UNAVAILABLE` when the store does not answer.
   */
  next(vaultId: string, from: number): Promise<{ position: number; data: Uint8Array } | undefined>;
}
