import assert from "node:assert/strict";
import { MAX_RELEASE_PATH_LENGTH, releasePathProblem } from "../../lib/sync/release_path.ts";

Deno.test("releasePathProblem() accepts relative paths of plain segments", () => {
  for (const path of ["SKILL.md", "scripts/main.py", ".hidden/x", "a b/ü.txt", "x".repeat(512)]) {
    assert.equal(releasePathProblem(path), undefined, path);
  }
});

Deno.test("releasePathProblem() refuses every way out of the skill directory", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["/etc/passwd", /absolute/],
    ["../x", /'\.\.' segment/],
    ["a/../../x", /'\.\.' segment/],
    ["./x", /'\.' segment/],
    ["a//b", /empty segment/],
    ["a/", /empty segment/],
    ["a\\..\\x", /backslash/],
    ["a\u0000b", /control/],
    ["a\nb", /control/],
    ["x".repeat(MAX_RELEASE_PATH_LENGTH + 1), /longer than 512/],
  ];
  for (const [path, why] of cases) {
    assert.match(releasePathProblem(path) ?? "", why, JSON.stringify(path));
  }
});
