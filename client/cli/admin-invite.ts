import { parseArgs } from "node:util";
import { ADMIN_HELP, ADMIN_OPTIONS, adminClient } from "./admin-auth";
import { type CliIo, type Command, printJson, UsageError } from "./command";

const HELP = `Creates a single-use, expiring invitation and prints only its code on stdout.

${ADMIN_HELP}

  --expires-in SECONDS  lifetime of the invitation (the edge's default when absent)
  --note TEXT           operator note, shown in listings
  --json                print {invitationId, code, expiresAt, note}

exit: 0 created, 1 refused or failed, 2 usage`;

/** `vettid admin invite`: creates an invitation and prints only its code. */
export const adminInviteCommand: Command = {
  name: "admin invite",
  summary: "create a single-use invitation (operators); prints only the code",
  usage: "vettid admin invite --api URL [--token T | --region R] [--expires-in SECONDS] [--note TEXT] [--json]",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...ADMIN_OPTIONS, "expires-in": { type: "string" }, note: { type: "string" } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    let expiresInSeconds: number | undefined;
    if (values["expires-in"] !== undefined) {
      expiresInSeconds = Number(values["expires-in"]);
      if (!Number.isInteger(expiresInSeconds)) throw new UsageError("--expires-in must be whole seconds");
    }
    const { client } = adminClient(values, io.env);
    const invitation = await client.createInvitation({
      ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
      ...(values.note !== undefined ? { note: values.note } : {}),
    });
    if (values.json) printJson(io, invitation);
    else io.stdout(`${invitation.code}\n`);
    return 0;
  },
};
