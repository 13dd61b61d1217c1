import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildOpenApi, renderOpenApi } from "../../../functions/openapi";
import { FUNCTIONS } from "../../../functions/routes";

describe("docs/openapi.json", () => {
  test("equals, as JSON, the document generated from the handlers' schemas (run `npm run openapi`)", () => {
    // Prepare
    const committed = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "docs", "openapi.json"), "utf8"));
    // Act
    const generated = JSON.parse(JSON.stringify(buildOpenApi()));
    // Assess
    expect(committed).toEqual(generated);
  });

  test("documents every route, with strict request bodies", () => {
    // Act
    const doc = JSON.parse(renderOpenApi()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { additionalProperties?: boolean } }> } }>
      >;
    };
    // Assess
    for (const { route } of FUNCTIONS) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op).toBeDefined();
      if (route.body) expect(op?.requestBody?.content["application/json"]?.schema.additionalProperties).toBe(false);
    }
  });
});
