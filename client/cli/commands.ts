import { adminInviteCommand } from "./admin-invite";
import { adminJetStreamCommand } from "./admin-jetstream";
import { adminDevicesRevokeCommand, adminInvitationsListCommand, adminInvitationsRevokeCommand } from "./admin-manage";
import { attestCommand } from "./attest";
import type { Command } from "./command";
import { enrollCommand } from "./enroll";
import { manifestCommands } from "./manifest";
import { refreshCommand } from "./refresh";
import { releaseRuntimeNatsKeyCommand } from "./release-runtime-nats-key";
import { vaultCommands } from "./vault";
import { verifyAttestationCommand } from "./verify-attestation";
import { verifyManifestCommand } from "./verify-manifest";

/**
 * Every `bin/vettid` sub-command, in the order `--help` lists them.
 * Each lives in its own module under client/cli/; add new ones here.
 */
export const commands: Command[] = [
  adminInviteCommand,
  adminInvitationsListCommand,
  adminInvitationsRevokeCommand,
  adminDevicesRevokeCommand,
  adminJetStreamCommand,
  enrollCommand,
  refreshCommand,
  ...vaultCommands,
  attestCommand,
  verifyAttestationCommand,
  verifyManifestCommand,
  ...manifestCommands,
  releaseRuntimeNatsKeyCommand,
];
