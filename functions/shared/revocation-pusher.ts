import { ConfigError } from "../../lib/config";
import type { RevocationPusher } from "../../lib/edge";
import { VettidError } from "../../lib/errors";
import { encodeVettidAccountJwt } from "../../lib/nats-auth";
import { EDGE_NATS_TLS, type EdgeConfig } from "./config";
import { AccountSecretSchema, OperatorSecretSchema, type SecretReader } from "./secrets";

/**
 * Re-signs the VettID account JWT with the new revocations (operator signing key)
 * and publishes it to the NATS servers as the system user. The NATS client is loaded
 * on the first push, not at init: bundled behind a dynamic import, its ~95 KB are
 * evaluated only by the invocations that revoke.
 */
export function createRevocationPusher(config: EdgeConfig, secrets: SecretReader): RevocationPusher {
  return {
    async push(revocations) {
      const operatorId = config.VETTID_NATS_OPERATOR_SECRET_ID;
      const accountId = config.VETTID_NATS_ACCOUNT_SECRET_ID;
      if (!operatorId || !accountId) {
        throw new ConfigError("VETTID_NATS_OPERATOR_SECRET_ID and VETTID_NATS_ACCOUNT_SECRET_ID are required");
      }
      const operator = await secrets.json(operatorId, OperatorSecretSchema);
      const account = await secrets.json(accountId, AccountSecretSchema);
      const jwt = await encodeVettidAccountJwt({
        accountPublicKey: account.accountPublicKey,
        signingKeys: operator.accountSigningKeys,
        revocations,
        operatorSeed: operator.operatorSigningKeySeed,
      });
      try {
        const { createNatsClaimsPublisher } = await import("../../lib/nats-claims");
        await createNatsClaimsPublisher({
          servers: config.VETTID_NATS_URLS,
          systemUserCreds: operator.systemUserCreds,
          tls: EDGE_NATS_TLS,
        }).publish(jwt);
      } catch (err) {
        throw new VettidError("UNAVAILABLE", "the NATS servers did not take the revocation; retry", { cause: err });
      }
    },
  };
}
