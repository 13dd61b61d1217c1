import { finding, type PolicyRule, resources } from "../terraform";

/** The nats.conf a NATS node's user data writes (`cat > /etc/nats/nats.conf <<CONF … CONF`). */
function natsConf(userData: string): string | undefined {
  return /cat > \/etc\/nats\/nats\.conf <<'?CONF'?\n([\s\S]*?)\nCONF\n/.exec(userData)?.[1];
}

/** The body of the first `name { … }` block at the top level of `text` (braces matched). */
function topBlock(text: string, name: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "{") depth += 1;
    else if (c === "}") depth -= 1;
    else if (depth === 0 && text.startsWith(name, i) && /^\s*\{/.test(text.slice(i + name.length))) {
      const open = text.indexOf("{", i);
      let d = 0;
      for (let j = open; j < text.length; j += 1) {
        if (text[j] === "{") d += 1;
        else if (text[j] === "}" && --d === 0) return text.slice(open + 1, j);
      }
      return undefined;
    }
  }
  return undefined;
}

/** What a node's configuration lacks of TLS and route authorization (empty: nothing). */
export function natsConfProblems(conf: string): string[] {
  const problems: string[] = [];
  const clientTls = topBlock(conf, "tls");
  if (clientTls === undefined || !/cert_file:/.test(clientTls) || !/key_file:/.test(clientTls)) {
    problems.push("the client port has no tls block with a certificate (plaintext clients accepted)");
  }
  if (clientTls !== undefined && /\binsecure:\s*true/.test(clientTls)) problems.push("client tls is insecure");
  if (/\ballow_non_tls:\s*true/.test(conf)) problems.push("allow_non_tls lets plaintext clients in");
  const cluster = topBlock(conf, "cluster");
  if (cluster === undefined) return problems;
  const routeTls = topBlock(cluster, "tls");
  if (routeTls === undefined) {
    problems.push("routes are not TLS (cluster.tls missing)");
  } else {
    if (!/\bverify:\s*true/.test(routeTls)) problems.push("routes are not mutual TLS (cluster.tls.verify is not true)");
    if (!/\bca_file:/.test(routeTls)) problems.push("routes trust no CA of their own (cluster.tls.ca_file missing)");
    if (!/\bverify_and_map:\s*true/.test(routeTls)) {
      problems.push("route certificates are not mapped to the route user (cluster.tls.verify_and_map)");
    }
    if (/\binsecure:\s*true/.test(routeTls)) problems.push("cluster tls is insecure");
  }
  const authorization = topBlock(cluster, "authorization");
  if (authorization === undefined || !/\buser:\s*"[^"]+"/.test(authorization)) {
    problems.push("routes are not authorized (cluster.authorization.user missing): any peer can join");
  }
  return problems;
}

/**
 * The NATS server configuration the stacks render (the nodes' user data) requires TLS on
 * the client port and runs cluster routes over mutual TLS with route authorization by
 * certificate (`verify: true`, `verify_and_map: true`, `cluster.authorization.user`), so a
 * member of the NATS security group without a route certificate cannot join (decision
 * 0064). The NLB's target group on the client port re-encrypts (protocol TLS).
 */
export const natsRouteTls: PolicyRule = {
  id: "nats-route-tls",
  description: "NATS nodes require client TLS, and routes run over mutual TLS with route authorization",
  check(synth) {
    const nodes = resources(synth, "aws_instance").flatMap((ref) => {
      const conf = natsConf(String(ref.body.user_data ?? ""));
      return conf === undefined ? [] : [{ ref, conf }];
    });
    const findings = nodes.flatMap(({ ref, conf }) =>
      natsConfProblems(conf).map((problem) => finding(this.id, ref, problem)),
    );
    const clientPorts = new Set(nodes.map(({ conf }) => /^port:\s*(\d+)/m.exec(conf)?.[1]).filter(Boolean));
    for (const group of resources(synth, "aws_lb_target_group")) {
      if (clientPorts.has(String(group.body.port)) && group.body.protocol !== "TLS") {
        findings.push(
          finding(this.id, group, `forwards NATS clients to the nodes as ${String(group.body.protocol)}, not TLS`),
        );
      }
    }
    return findings;
  },
};
