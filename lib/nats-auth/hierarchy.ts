import {
  Algorithms,
  createAccount,
  createOperator,
  createUser,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromSeed,
} from "@nats-io/jwt";
import { encodeSystemAccountJwt, encodeVettidAccountJwt } from "./account-jwt";

/**
 * The NATS key hierarchy (docs/protocol.md §NATS authorization):
 *
 * ```
 * operator (offline root; its JWT is in the server config)
 *  ├─ operator signing key  → signs account JWTs (revocation updates; Secrets Manager)
 *  ├─ system account        → $SYS; one system user pushes claim updates
 *  └─ VETTID account        → devices and hosts
 *      ├─ account signing key → signs host user JWTs (unscoped; out of band, no Lambda)
 *      ├─ device signing key  → signs device user JWTs (scoped to the device template;
 *      │                        Secrets Manager; the REST edge)
 *      └─ runtime signing key → signs the vault runtime's own user JWT (scoped to the
 *                               runtime template; its seed a KMS ciphertext only an
 *                               attested enclave opens, decision 0072)
 * ```
 */
export interface NatsKeyHierarchy {
  operatorSeed: string;
  operatorPublicKey: string;
  operatorSigningSeed: string;
  operatorSigningPublicKey: string;
  systemAccountSeed: string;
  systemAccountPublicKey: string;
  systemUserSeed: string;
  accountSeed: string;
  accountPublicKey: string;
  accountSigningSeed: string;
  accountSigningPublicKey: string;
  deviceSigningSeed: string;
  deviceSigningPublicKey: string;
  enclaveSigningSeed: string;
  enclaveSigningPublicKey: string;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const seed = (value: string) => fromSeed(new TextEncoder().encode(value));

/** Generates a fresh hierarchy (for the local topology, tests, and the operator's bootstrap tool). */
export function generateNatsKeyHierarchy(): NatsKeyHierarchy {
  const operator = createOperator();
  const operatorSigning = createOperator();
  const system = createAccount();
  const systemUser = createUser();
  const account = createAccount();
  const accountSigning = createAccount();
  const deviceSigning = createAccount();
  const enclaveSigning = createAccount();
  return {
    operatorSeed: text(operator.getSeed()),
    operatorPublicKey: operator.getPublicKey(),
    operatorSigningSeed: text(operatorSigning.getSeed()),
    operatorSigningPublicKey: operatorSigning.getPublicKey(),
    systemAccountSeed: text(system.getSeed()),
    systemAccountPublicKey: system.getPublicKey(),
    systemUserSeed: text(systemUser.getSeed()),
    accountSeed: text(account.getSeed()),
    accountPublicKey: account.getPublicKey(),
    accountSigningSeed: text(accountSigning.getSeed()),
    accountSigningPublicKey: accountSigning.getPublicKey(),
    deviceSigningSeed: text(deviceSigning.getSeed()),
    deviceSigningPublicKey: deviceSigning.getPublicKey(),
    enclaveSigningSeed: text(enclaveSigning.getSeed()),
    enclaveSigningPublicKey: enclaveSigning.getPublicKey(),
  };
}

/** Everything a nats-server in operator mode needs, plus the system user's creds. */
export interface NatsServerAuth {
  operatorJwt: string;
  systemAccountJwt: string;
  accountJwt: string;
  /** A standard creds file for the system user that pushes claim updates. */
  systemUserCreds: string;
}

/** Issues the operator, system account, VettID account and system user JWTs of `keys`. */
export async function issueNatsServerAuth(keys: NatsKeyHierarchy): Promise<NatsServerAuth> {
  const operatorKp = seed(keys.operatorSeed);
  const operatorJwt = await encodeOperator(
    "vettid",
    operatorKp,
    { signing_keys: [keys.operatorSigningPublicKey], system_account: keys.systemAccountPublicKey },
    { algorithm: Algorithms.v2 },
  );
  const systemAccountJwt = await encodeSystemAccountJwt(keys.systemAccountPublicKey, keys.operatorSigningSeed);
  const accountJwt = await encodeVettidAccountJwt({
    accountPublicKey: keys.accountPublicKey,
    signingKeys: [keys.accountSigningPublicKey],
    deviceSigningKeys: [keys.deviceSigningPublicKey],
    enclaveSigningKeys: [keys.enclaveSigningPublicKey],
    operatorSeed: keys.operatorSigningSeed,
  });
  const systemUser = seed(keys.systemUserSeed);
  const systemAccount = seed(keys.systemAccountSeed);
  const systemUserJwt = await encodeUser(
    "claims-publisher",
    systemUser,
    systemAccount,
    {},
    { algorithm: Algorithms.v2 },
  );
  return { operatorJwt, systemAccountJwt, accountJwt, systemUserCreds: text(fmtCreds(systemUserJwt, systemUser)) };
}

/**
 * nats-server configuration for operator mode with the full (NATS-based) account
 * resolver, which is what lets a claim update revoke live user JWTs.
 */
export function renderOperatorConfig(auth: NatsServerAuth, keys: NatsKeyHierarchy, resolverDir: string): string {
  return [
    `operator: ${JSON.stringify(auth.operatorJwt)}`,
    `system_account: ${JSON.stringify(keys.systemAccountPublicKey)}`,
    `resolver: { type: full, dir: ${JSON.stringify(resolverDir)}, allow_delete: false, interval: "2m" }`,
    "resolver_preload: {",
    `  ${keys.systemAccountPublicKey}: ${JSON.stringify(auth.systemAccountJwt)}`,
    `  ${keys.accountPublicKey}: ${JSON.stringify(auth.accountJwt)}`,
    "}",
  ].join("\n");
}
