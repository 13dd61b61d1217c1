import { parseArgs } from "node:util";
import { createEdgeClient } from "../device";
import { type CliIo, type Command, printJson, UsageError } from "./command";
import { readLocalEndpoints, sameOrigin } from "./local-endpoints";

const HELP = `Creates a single-use, expiring invitation and prints only its code on stdout.

  --api URL             the REST edge (default: the local topology's)
  --token T             operator token (default: the local topology's, sent only to its own edge)
  --expires-in SECONDS  lifetime of the invitation (the edge's default when absent)
  --note TEXT           operator note, shown in listings
  --json                print {invitationId, code, expiresAt, note}

exit: 0 created, 1 refused or failed, 2 usage`;

/** `vettid admin invite`: creates an invitation and prints only its code. */
export const adminInviteCommand: Command = {
  name: "admin invite",
  summary: "create a single-use invitation (operators); prints only the code",
  usage: "vettid admin invite --api URL [--token T] [--expires-in SECONDS] [--note TEXT] [--json]",
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        api: { type: "string" },
        token: { type: "string" },
        "expires-in": { type: "string" },
        note: { type: "string" },
        json: { type: "boolean" },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const local = readLocalEndpoints(io.env);
    const api = values.api ?? local?.rest;
    if (!api) throw new UsageError("--api is required (no local topology found)");
    if (!/^https?:\/\//.test(api)) throw new UsageError("--api must be an http(s) URL");
    // the local admin token goes only to the local topology it belongs to
    const token =
      values.token ?? (local?.rest && local.adminToken && sameOrigin(api, local.rest) ? local.adminToken : undefined);
    let expiresInSeconds: number | undefined;
    if (values["expires-in"] !== undefined) {
      expiresInSeconds = Number(values["expires-in"]);
      if (!Number.isInteger(expiresInSeconds)) throw new UsageError("--expires-in must be whole seconds");
    }
    const client = createEdgeClient(token ? { baseUrl: api, adminToken: token } : { baseUrl: api });
    const invitation = await client.createInvitation({
      ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
      ...(values.note !== undefined ? { note: values.note } : {}),
    });
    if (values.json) printJson(io, invitation);
    else io.stdout(`${invitation.code}\n`);
    return 0;
  },
};
