import { isIPv4, isIPv6 } from "node:net";

/** Hextets of an IPv6 address that name its /64 network (one subscriber's allocation). */
const PREFIX_HEXTETS = 4;

/** The eight 16-bit groups of a valid IPv6 address (`::` and a trailing IPv4 expanded). */
function hextets(address: string): number[] {
  let text = address.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const [a, b, c, d] = tail.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = rest === undefined ? [] : rest ? rest.split(":") : [];
  const fill = rest === undefined ? [] : new Array(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((h) => Number.parseInt(h, 16));
}

/**
 * The key a per-source limit counts under: an IPv4 address as it is (also when
 * written IPv4-mapped, `::ffff:192.0.2.1`), an IPv6 address by its /64 network —
 * ISPs give each subscriber at least a /64, so counting single IPv6 addresses would
 * give one attacker 2^64 fresh budgets. Anything else (API Gateway always sends an
 * address) counts as one shared `unknown` source.
 *
 * @example sourceKey("2001:db8:1:2:aaaa::1") // "2001:db8:1:2::/64"
 */
export function sourceKey(address: string): string {
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return "unknown";
  const groups = hextets(address);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");
  }
  return `${groups
    .slice(0, PREFIX_HEXTETS)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}
