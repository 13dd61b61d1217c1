/**
 * Device sync inside the runtime (docs/decisions/0073): the change log port, events
 * sealed for it, and the reader that gives a device exactly the committed changes.
 */
export type { ChangeLog } from "./change-log";
export { JetStreamChangeLog, SYNC_STREAM, syncSubject } from "./jetstream-change-log";
export { type ChangePage, MAX_SCANNED_MESSAGES, type ReadChangesInput, readChanges } from "./read-changes";
export { changeKey, MAX_SEALED_CHANGE_BYTES, openChange, sealChange, sealedChangeSeq } from "./sealed-change";
