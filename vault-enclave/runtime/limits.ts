/**
 * Limits of the vault runtime, each with its derivation.
 */

/**
 * Argon2id derivations at once. Derivation: one takes 64 MiB (vault-enclave/state
 * DEFAULT_ARGON2ID); two fit a 2-vCPU enclave's cores and 128 MiB of its memory
 * budget, more would only queue inside libsodium.
 */
export const MAX_CONCURRENT_ARGON2 = 2;

/** Unlocks and PIN changes waiting for their turn per device; one more is refused `RATE_LIMITED` before it is counted. */
export const MAX_QUEUED_PER_DEVICE = 2;

/** Live sessions per device: a phone and a tablet app each reconnecting; its next evicts its own oldest. */
export const MAX_SESSIONS_PER_DEVICE = 4;

/** Live sessions per runtime: 10,000 vaults × 2 devices; beyond it a new handshake is refused. */
export const MAX_SESSIONS = 20_000;

/**
 * Pairing-only sessions a vault holds at once (keys outside its device list, admitted
 * while a pairing is open): beyond it the vault's oldest goes. Any key may hand-shake
 * during a pairing, so without this one open pairing would let the host fill
 * {@link MAX_SESSIONS} with made-up devices; a person pairs one device at a time.
 */
export const MAX_PAIRING_SESSIONS_PER_VAULT = 4;

/** A session idle this long is dropped (and its unlock with it): 15 minutes, a phone app's background limit. */
export const SESSION_IDLE_MS = 15 * 60_000;

/** No session lives longer than this, used or not: 12 hours, then the device handshakes again. */
export const SESSION_MAX_AGE_MS = 12 * 3600_000;

/**
 * A loaded vault with no live session and no operation for this long is evicted: its
 * root key and opened layers are wiped and only its highest state version is kept
 * (rollback detection). 15 minutes, the session idle time: the next session loads the
 * state again (one blob read and one KMS Decrypt).
 */
export const VAULT_IDLE_EVICT_MS = 15 * 60_000;

/**
 * Heap + external memory the runtime keeps itself within (the durability issue's
 * 1 GiB for 10,000 unlocked vaults). Above it, each sweep evicts loaded vaults that no
 * unlocked session holds, least recently used first, before their idle time is up.
 */
export const VAULT_MEMORY_BUDGET_BYTES = 1024 * 1024 * 1024;

/** An unlock lapses after this long without a vault operation: 5 minutes. */
export const UNLOCK_IDLE_MS = 5 * 60_000;

/** The enclave's handshake keys rotate daily; a device re-attests when its handshake fails. */
export const HANDSHAKE_KEY_TTL_MS = 24 * 3600_000;

/**
 * Attestations and handshakes per device per minute, each: a command-line client
 * attests once per command, an app once per reconnect; 60 leaves room for both and
 * keeps one device from draining the NSM or the runtime's CPU.
 */
export const ATTESTATIONS_PER_DEVICE_PER_MINUTE = 60;

/** Attestation documents remembered per device, so a handshake can only name one the enclave issued. */
export const ISSUED_DOCUMENTS_PER_DEVICE = 4;

/**
 * How long a handshake may name a document after it was issued: the age up to which a
 * device accepts one (client MAX_DOCUMENT_AGE_MS). A handshake the host held back longer
 * (a take-over among them, decision 0078) is refused `HANDSHAKE_FAILED`.
 */
export const ISSUED_DOCUMENT_TTL_MS = 5 * 60_000;

/**
 * How long after its document a handshake may take a vault over from a live owner
 * (decision 0078): a device waits at most its request timeout (15 s by default) and a
 * gather window for the answer, so a take-over the host held back longer is for a device
 * that gave up on this enclave; it opens a session, takes no lease and is not answered
 * unless the vault is free.
 */
export const TAKE_OVER_DOCUMENT_TTL_MS = 30_000;

/**
 * Sealed requests of one device waiting or running at once. Derivation: a vault runs
 * one operation at a time, so a device gains nothing from more than a few queued;
 * each waiting request holds its envelope (up to 1 MiB), so 8 bound one device to
 * about 8 MiB of the enclave's memory however fast it sends.
 */
export const MAX_IN_FLIGHT_PER_DEVICE = 8;

/**
 * Bytes of sealed requests waiting or running in the whole runtime. Derivation: the
 * per-device bound above still lets many devices together hold 8 MiB each; 256 MiB
 * is an eighth of a 2 GiB enclave and 2,000 times the largest item put, so ordinary
 * traffic never meets it and a crowd of flooding devices gets `OVERLOADED` instead
 * of exhausting the enclave's memory.
 */
export const MAX_IN_FLIGHT_BYTES = 256 * 1024 * 1024;

/**
 * How long a pairing secret opens a join: 10 minutes, what the design allows at most —
 * enough to carry a code to a new device and enroll it, short enough that a code seen
 * over a shoulder is soon worth nothing.
 */
export const PAIRING_TTL_MS = 10 * 60_000;

/**
 * Wrong proofs (or proofs from another key or session) a pairing survives: 3. The secret
 * has 160 bits, so guessing is hopeless anyway; the count stops a relay from trying the
 * one proof it saw in many sessions: the third wrong one voids the secret.
 */
export const PAIRING_MAX_ATTEMPTS = 3;

/**
 * How long a recovery waits before it may complete when the measured configuration
 * names no delay (docs/decisions/0068): 24 hours, VettID's own, so the owner's other
 * devices see it in `vault.status` and can cancel it.
 */
export const RECOVERY_DELAY_MS = 24 * 60 * 60 * 1000;
