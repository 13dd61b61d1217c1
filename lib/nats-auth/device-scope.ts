import { SUBJECT_ROOT } from "../subjects";
import { DEVICE_USER_LIMITS } from "./limits";
import { ALWAYS_DENIED, type DevicePermissions } from "./permissions";

/**
 * The role name of the account's scoped device signing key (the account JWT's
 * `signing_keys` entry of kind `user_scope`).
 */
export const DEVICE_SCOPE_ROLE = "device";

/**
 * The user JWT tag that carries a device's vault id: `vault:<vaultId>`. nats-server
 * lower-cases the key it looks for (`{{tag(vault)}}`), never the value; vault ids are
 * lower-case anyway (`vlt_` + hex).
 */
export const VAULT_TAG = "vault";

/** Template tags of nats-server 2.9: a whole subject token, replaced per connecting user. */
const DEVICE_ID = "{{name()}}";
const VAULT_ID = `{{tag(${VAULT_TAG})}}`;

/**
 * A device's permissions as a template of the scoped signing key. nats-server fills it
 * at connect from the user JWT that key signed — `{{name()}}` is the JWT's `name` (the
 * device id), `{{tag(vault)}}` the value of its `vault:` tag — and applies the result
 * INSTEAD of anything the JWT says: a JWT that this key signed gets exactly this shape,
 * whoever minted it. Expanded for one device it equals {@link devicePermissions}
 * (tests/unit/edge/nats-auth.test.ts checks that).
 *
 * What the template cannot bound: the values. A JWT whose name or vault tag is `*`
 * expands to a wildcard inside these shapes (docs/decisions/0063).
 */
export function deviceScopeTemplate(): DevicePermissions {
  return {
    pub: { allow: [`${SUBJECT_ROOT}.vault.${VAULT_ID}.req.${DEVICE_ID}`], deny: [...ALWAYS_DENIED] },
    sub: {
      allow: [
        `${SUBJECT_ROOT}.inbox.${DEVICE_ID}.>`,
        `${SUBJECT_ROOT}.vault.${VAULT_ID}.evt.${DEVICE_ID}`,
        `${SUBJECT_ROOT}.vault.${VAULT_ID}.evt.all`,
      ],
      deny: [...ALWAYS_DENIED],
    },
  };
}

/**
 * The account JWT's `signing_keys` entry for the device signing key: the key, its role,
 * and the template with everything a device user JWT used to carry itself — the
 * permissions, {@link DEVICE_USER_LIMITS}, no bearer tokens, standard and WebSocket
 * connections only. nats-server 2.9 replaces a scoped user's permissions AND limits with
 * the template, so the limits must be here too.
 */
export function deviceSigningKeyScope(publicKey: string) {
  const template = deviceScopeTemplate();
  return {
    kind: "user_scope" as const,
    key: publicKey,
    role: DEVICE_SCOPE_ROLE,
    template: {
      pub: template.pub,
      sub: template.sub,
      ...DEVICE_USER_LIMITS,
      bearer_token: false,
      allowed_connection_types: ["STANDARD" as const, "WEBSOCKET" as const],
    },
  };
}
