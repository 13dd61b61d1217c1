import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import { bundle, MAX_BUNDLE_BYTES } from "../../../functions/build";
import { FUNCTIONS } from "../../../functions/routes";

const root = resolve(__dirname, "../../..");

describe("edge bundles", () => {
  let out: string;
  beforeAll(() => {
    // inside the repository, so that entries written by the tests resolve its node_modules
    mkdirSync(join(root, "dist"), { recursive: true });
    out = mkdtempSync(join(root, "dist", "bundles-test-"));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("every bundle is self-contained (only Node built-ins are required at run time) and under the size limit", async () => {
    const builtins = new Set(builtinModules);
    for (const { route, entry } of FUNCTIONS) {
      // Act
      const size = await bundle(join(root, "functions", entry), join(out, route.name));
      // Assess
      const code = readFileSync(join(out, route.name, "index.js"), "utf8");
      const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] as string);
      const foreign = required.filter((r) => !builtins.has(r.replace(/^node:/, "")));
      expect({ route: route.name, foreign }).toEqual({ route: route.name, foreign: [] });
      expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
    }
    // tree shaking keeps each route's own REST schemas only (lib/edge/schemas.ts `define`)
    const health = readFileSync(join(out, "health-get", "index.js"), "utf8");
    expect(health).toContain('"Health"');
    for (const other of ["EnrollmentRequest", "SignedRevokeRequest", "CreateInvitationRequest"]) {
      expect(health).not.toContain(`"${other}"`);
    }
  });

  test("a handler that pulls in a full AWS SDK client is a build error that names the remedy", async () => {
    // Prepare
    const entry = join(out, "sdk-entry.ts");
    writeFileSync(
      entry,
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nexport const handler = async () => String(new DynamoDBClient({}));\n',
    );
    // Act + Assess
    await expect(bundle(entry, join(out, "sdk"))).rejects.toThrow(/@aws-sdk\/client-dynamodb.*lib\/aws-json/);
  });
});
