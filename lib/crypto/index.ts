/** Crypto primitives shared by every component (libsodium, and the platform's CSPRNG). */
export { randomBytes } from "./random";
export { type Sodium, sodium, sodiumReady } from "./sodium";
