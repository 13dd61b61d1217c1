/** Crypto primitives shared by every component (libsodium). */
export { type Sodium, sodium, sodiumReady } from "./sodium";
