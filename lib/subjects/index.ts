/** The NATS subject scheme shared by the edge (JWT permissions), devices and the proxy. */
export {
  deviceInboxPrefix,
  ID_PATTERN,
  isSubjectId,
  type ParsedSubject,
  parseSubject,
  SUBJECT_ROOT,
  vaultBroadcastEventSubject,
  vaultDeviceEventSubject,
  vaultRequestSubject,
  vaultRequestWildcard,
} from "./subjects";
