/** `vettid vault put · get · list · delete`: the vault's items. */
import { ITEM_TYPES, type ItemType, MAX_ITEM_VALUE_BYTES } from "../../lib/vault-protocol";
import { printJson, UsageError } from "./command";
import { readInputFile } from "./input-file";
import { iso, itemName, str, vaultCommand } from "./vault-command";

/** `vettid vault put`. */
export const vaultPutCommand = vaultCommand({
  word: "put",
  summary: "store an item (--value V or --value-file F, --type login|secret|note|profile)",
  positional: "NAME",
  synopsis: "(--value V | --value-file F) [--type login|secret|note|profile]",
  about: `Stores the item NAME (a new version if it exists).
  --json             print {name, type, version, stateVersion}`,
  optionsHelp: `  --value V          the value (UTF-8; visible in the process list: prefer --value-file)
  --value-file F     read the value from F (UTF-8 text, as it is)
  --type T           login, secret, note or profile (default secret)`,
  unlocks: true,
  options: { value: { type: "string" }, "value-file": { type: "string" }, type: { type: "string" } },
  check(values, name) {
    const type = str(values, "type") ?? "secret";
    if (!(ITEM_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`--type must be one of ${ITEM_TYPES.join(", ")}`);
    }
    if ((values.value === undefined) === (values["value-file"] === undefined)) {
      throw new UsageError("give the value with --value or --value-file");
    }
    const value =
      values.value !== undefined
        ? Buffer.from(values.value as string, "utf8")
        : readInputFile(values["value-file"] as string, "value file");
    if (value.length > MAX_ITEM_VALUE_BYTES) throw new UsageError(`a value has at most ${MAX_ITEM_VALUE_BYTES} bytes`);
    return { name: itemName(name), type: type as ItemType, value: new Uint8Array(value) };
  },
  async run({ session, io, json, checked }) {
    const { name, type, value } = checked as { name: string; type: ItemType; value: Uint8Array };
    const result = await session.call("items.put", { op: "items.put", name, type, value });
    if (json) printJson(io, { name, type, version: result.version, stateVersion: result.stateVersion });
    else io.stdout(`stored ${name} (version ${result.version})\n`);
  },
});

/** `vettid vault get`. */
export const vaultGetCommand = vaultCommand({
  word: "get",
  summary: "print an item's value",
  positional: "NAME",
  synopsis: "",
  about: `Prints the value of item NAME alone (UTF-8) and one newline; a value that is not
UTF-8 is printed as base64 (with a note on stderr). To read an item named "help",
put it after --: vettid vault get -- help.
  --json             print {name, type, version, createdAt, updatedAt, encoding, value}`,
  unlocks: true,
  check: (_values, name) => ({ name: itemName(name) }),
  async run({ session, io, json, checked }) {
    const { item } = await session.call("items.get", { op: "items.get", name: checked.name as string });
    let text: string;
    let encoding: "utf8" | "base64" = "utf8";
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(item.value);
    } catch {
      text = Buffer.from(item.value).toString("base64");
      encoding = "base64";
    }
    if (json) {
      const { name, type, version, createdAt, updatedAt } = item;
      printJson(io, {
        name,
        type,
        version,
        createdAt: iso(createdAt),
        updatedAt: iso(updatedAt),
        encoding,
        value: text,
      });
      return;
    }
    if (encoding === "base64") io.stderr("note: the value is not UTF-8; printed as base64\n");
    io.stdout(`${text}\n`);
  },
});

/** `vettid vault list`. */
export const vaultListCommand = vaultCommand({
  word: "list",
  summary: "list item names, one per line",
  synopsis: "",
  about: `Prints the names of the vault's items, one per line, sorted.
  --json             print a list of {name, type, version, updatedAt}`,
  unlocks: true,
  async run({ session, io, json }) {
    const { items } = await session.call("items.list", { op: "items.list" });
    const sorted = [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (json) {
      printJson(
        io,
        sorted.map(({ name, type, version, updatedAt }) => ({ name, type, version, updatedAt: iso(updatedAt) })),
      );
    } else {
      io.stdout(sorted.map((i) => `${i.name}\n`).join(""));
    }
  },
});

/** `vettid vault delete`. */
export const vaultDeleteCommand = vaultCommand({
  word: "delete",
  summary: "delete an item",
  positional: "NAME",
  synopsis: "",
  about: `Deletes item NAME.
  --json             print {deleted, stateVersion}`,
  unlocks: true,
  check: (_values, name) => ({ name: itemName(name) }),
  async run({ session, io, json, checked }) {
    const name = checked.name as string;
    const result = await session.call("items.delete", { op: "items.delete", name });
    if (json) printJson(io, { deleted: name, stateVersion: result.stateVersion });
    else io.stdout(`deleted ${name}\n`);
  },
});
