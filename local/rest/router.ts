/** Matches API Gateway route templates (`/v1/devices/{deviceId}/credentials`) against paths. */
export interface RouteTemplate {
  method: string;
  path: string;
}

export interface RouteMatch<R extends RouteTemplate> {
  route: R;
  pathParameters: Record<string, string> | undefined;
}

/** A path segment matches `[^/]+` like API Gateway's `{name}`; values are URL-decoded. */
export function matchRoute<R extends RouteTemplate>(
  routes: R[],
  method: string,
  path: string,
): { match?: RouteMatch<R>; pathExists: boolean } {
  const segments = path.split("/");
  let pathExists = false;
  for (const route of routes) {
    const template = route.path.split("/");
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < template.length && ok; i += 1) {
      const t = template[i] as string;
      const s = segments[i] as string;
      const name = /^\{([A-Za-z0-9_]+)\}$/.exec(t)?.[1];
      if (name) {
        if (s.length === 0) ok = false;
        else {
          try {
            params[name] = decodeURIComponent(s);
          } catch {
            params[name] = s;
          }
        }
      } else if (t !== s) ok = false;
    }
    if (!ok) continue;
    pathExists = true;
    if (route.method === method) {
      return { match: { route, pathParameters: Object.keys(params).length > 0 ? params : undefined }, pathExists };
    }
  }
  return { pathExists };
}
