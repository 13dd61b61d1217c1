import sodiumModule from "libsodium-wrappers-sumo";

/** The libsodium API (the sumo build, which includes Argon2id `crypto_pwhash`). */
export type Sodium = typeof sodiumModule;

let readyPromise: Promise<Sodium> | undefined;

/**
 * Resolves once libsodium's WebAssembly module is initialised; call it once at
 * start-up before any synchronous crypto helper.
 */
export function sodiumReady(): Promise<Sodium> {
  readyPromise ??= sodiumModule.ready.then(() => sodiumModule);
  return readyPromise;
}

/**
 * The initialised libsodium instance.
 * @throws Error when {@link sodiumReady} has not resolved yet.
 */
export function sodium(): Sodium {
  if (!sodiumModule.crypto_aead_xchacha20poly1305_ietf_encrypt) {
    throw new Error("libsodium is not initialised: await sodiumReady() first");
  }
  return sodiumModule;
}
