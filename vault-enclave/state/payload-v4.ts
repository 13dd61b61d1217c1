import { SYNC_DIGEST_BYTES } from "../../lib/vault-sync";
import * as z from "../../lib/zod";
import { encodePayload } from "./cbor";
import { checkDecodedOuter, checkForWrite } from "./payload-v2";
import { checkOuterV3, fromDecodedV3, OuterSchemaV3, outerPayloadV3 } from "./payload-v3";
import type { OuterState } from "./types";

/**
 * The outer payload of format 4: format 3's outer map plus the head of the vault's
 * change events (docs/decisions/0073), at the top level: `changes: {nextSeq, head,
 * position}`, `nextSeq` the sequence number the next event takes (from 1), `head` the
 * 32-byte chain digest after the last committed event (lib/vault-sync) and `position`
 * that event's position in the change log (0 before any; a hint for readers, trusted
 * for nothing). The inner payload is
 * still inner format 1 (payload-v1.ts).
 *
 * This file never changes once released.
 */

const OuterSchemaV4 = z.extend(OuterSchemaV3, {
  changes: z.strictObject({
    nextSeq: z.int().check(z.gte(1)),
    head: z.custom<Uint8Array>(
      (v) => v instanceof Uint8Array && v.length === SYNC_DIGEST_BYTES,
      `must be ${SYNC_DIGEST_BYTES} bytes`,
    ),
    position: z.int().check(z.gte(0)),
  }),
});

/**
 * Encodes an outer state (with its inner reference) as the format 4 payload.
 * @throws StateRejected `VALIDATION_FAILED` naming the first field out of bounds.
 */
export function encodeOuterV4(outer: OuterState): Uint8Array {
  const payload = {
    ...outerPayloadV3(outer),
    changes: { nextSeq: outer.changes.nextSeq, head: outer.changes.head, position: outer.changes.position },
  };
  checkForWrite(OuterSchemaV4, payload);
  checkOuterV3(outer);
  return encodePayload(payload);
}

/**
 * Checks a decoded outer payload of format 4.
 * @throws StateInvalid `payload_invalid` naming the first field that does not match.
 */
export function decodeOuterV4(value: unknown): OuterState {
  return fromDecodedV3(checkDecodedOuter(OuterSchemaV4, value));
}
