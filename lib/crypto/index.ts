/** Crypto primitives shared by every component (libsodium, and the platform's CSPRNG). */
export { randomBytes } from "./random";
export { type Sodium, sodium, sodiumReady } from "./sodium";
export {
  equalDigestBytes,
  lengthPrefixedId,
  VAULT_CHAIN_DIGEST_BYTES,
  vaultChainGenesis,
  vaultChainStep,
} from "./vault-chain";
