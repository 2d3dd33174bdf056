/**
 * Lint rules for the test suite (`deno lint` loads this plugin, see deno.json): a
 * refusal assert must say which refusal it expects, and an `assert.fail()` inside a
 * `try` whose `catch` swallows it can never fail the test.
 *
 * @module
 */

/** Whether `node` is `assert.<name>` (or `assert.strict.<name>`). */
function isAssertMember(node: Deno.lint.Node, names: readonly string[]): boolean {
  if (node.type !== "MemberExpression" || node.property.type !== "Identifier") return false;
  if (!names.includes(node.property.name)) return false;
  const object = node.object;
  return (object.type === "Identifier" && object.name === "assert") ||
    (object.type === "MemberExpression" && object.object.type === "Identifier" &&
      object.object.name === "assert");
}

/** Whether `node` is a statement calling `assert.fail(…)`, directly or awaited. */
function isAssertFail(node: Deno.lint.Node): boolean {
  if (node.type !== "ExpressionStatement") return false;
  let expression = node.expression;
  if (expression.type === "AwaitExpression") expression = expression.argument;
  return expression.type === "CallExpression" && isAssertMember(expression.callee, ["fail"]);
}

const plugin: Deno.lint.Plugin = {
  name: "swarm-tests",
  rules: {
    "refusal-needs-matcher": {
      create(context) {
        return {
          CallExpression(node) {
            if (!isAssertMember(node.callee, ["rejects", "throws"])) return;
            // A string second argument is node:assert's message, not a matcher.
            const matcher = node.arguments[1];
            const isMessage = matcher !== undefined &&
              ((matcher.type === "Literal" && typeof matcher.value === "string") ||
                matcher.type === "TemplateLiteral");
            if (matcher === undefined || isMessage) {
              context.report({
                node,
                message:
                  "assert.rejects/assert.throws without an error matcher accepts any failure as the refusal: say which error is expected",
              });
            }
          },
        };
      },
    },
    "no-fail-in-try": {
      create(context) {
        return {
          TryStatement(node) {
            if (node.handler === null) return;
            const failing = node.block.body.find(isAssertFail);
            if (failing !== undefined) {
              context.report({
                node: failing,
                message:
                  "assert.fail() inside a try whose catch runs is caught by it: the test cannot fail here (use assert.rejects/throws with a matcher)",
              });
            }
          },
        };
      },
    },
  },
};

export default plugin;
