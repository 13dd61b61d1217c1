import { parseArgs } from "node:util";
import type { EdgeClient } from "../device";
import { ADMIN_HELP, ADMIN_OPTIONS, adminClient } from "./admin-auth";
import { type CliIo, type Command, printJson, UsageError } from "./command";

/** The one positional argument of a command, or a usage error. */
function onlyArgument(positionals: string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`${what} is required`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  return positionals[0] as string;
}

/** The shape of `admin … revoke ID`: one id, one edge call, its result as JSON or one line. */
async function revokeById(
  argv: string[],
  io: CliIo,
  what: string,
  revoke: (client: EdgeClient, id: string) => Promise<{ json: unknown; line: string }>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: ADMIN_OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  const id = onlyArgument(positionals, what);
  const { client } = adminClient(values, io.env);
  const result = await revoke(client, id);
  if (values.json) printJson(io, result.json);
  else io.stdout(`${result.line}\n`);
  return 0;
}

/** `vettid admin invitations list`. */
export const adminInvitationsListCommand: Command = {
  name: "admin invitations list",
  summary: "list invitations without their codes (operators), newest first",
  usage: "vettid admin invitations list [--api URL] [--token T | --region R] [--limit N] [--cursor C] [--json]",
  help: `Lists invitations: id, status, created, expires, note (never a code).

${ADMIN_HELP}

  --limit N   at most N (1..100, default 50)
  --cursor C  the next page, as the previous page printed it
  --json      print {items: [{invitationId, status, createdAt, expiresAt, note?, usedAt?, revokedAt?}], cursor?}

exit: 0 listed, 1 refused or failed, 2 usage`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...ADMIN_OPTIONS, limit: { type: "string" }, cursor: { type: "string" } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    let limit: number | undefined;
    if (values.limit !== undefined) {
      limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError("--limit must be 1..100");
    }
    const { client } = adminClient(values, io.env);
    const page = await client.listInvitations({
      ...(limit !== undefined ? { limit } : {}),
      ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
    });
    if (values.json) {
      printJson(io, page);
      return 0;
    }
    for (const i of page.items) {
      io.stdout(
        `${i.invitationId}  ${i.status.padEnd(7)}  created ${i.createdAt}  expires ${i.expiresAt}${i.note ? `  ${i.note}` : ""}\n`,
      );
    }
    if (page.cursor) io.stdout(`more: --cursor ${page.cursor}\n`);
    return 0;
  },
};

/** `vettid admin invitations revoke ID`. */
export const adminInvitationsRevokeCommand: Command = {
  name: "admin invitations revoke",
  summary: "revoke an open invitation (operators)",
  usage: "vettid admin invitations revoke ID [--api URL] [--token T | --region R] [--json]",
  help: `Revokes an open invitation, so its code enrolls no device.

${ADMIN_HELP}

  --json  print the invitation {invitationId, status, …}

exit: 0 revoked (or already revoked), 1 refused or failed (e.g. CONFLICT: already used), 2 usage`,
  run: (argv, io) =>
    revokeById(argv, io, "the invitation id (inv_…)", async (client, id) => {
      const invitation = await client.revokeInvitation(id);
      return { json: invitation, line: `${invitation.invitationId} ${invitation.status}` };
    }),
};

/** `vettid admin devices revoke ID`. */
export const adminDevicesRevokeCommand: Command = {
  name: "admin devices revoke",
  summary: "revoke a device's NATS access at the edge (operators)",
  usage: "vettid admin devices revoke ID [--api URL] [--token T | --region R] [--json]",
  help: `Revokes a device at the edge: its NATS credentials stop working and it gets no new ones.
(Its keys stay in its vault's device list until the vault itself revokes it.)

${ADMIN_HELP}

  --json  print {deviceId, status}

exit: 0 revoked, 1 refused or failed (e.g. NOT_FOUND), 2 usage`,
  run: (argv, io) =>
    revokeById(argv, io, "the device id (dev_…)", async (client, id) => {
      const revoked = await client.adminRevokeDevice(id);
      return { json: revoked, line: `${revoked.deviceId} ${revoked.status}` };
    }),
};
