/**
 * The reference of the node-overhead scenario: a raw `Deno.serve` JSON echo, the limit
 * of one Deno HTTP hop. Run as its own process:
 * `deno run --allow-net=127.0.0.1 _echo_server.ts PORT`; prints `listening` when ready.
 *
 * @module
 */

if (import.meta.main) {
  const port = Number(Deno.args[0]);
  if (!Number.isInteger(port) || port <= 0) {
    console.error("Usage: _echo_server.ts PORT");
    Deno.exit(2);
  }
  Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: () => console.log("listening"),
  }, async (req) => {
    if (req.method !== "POST") return Response.json({ status: "ok" });
    return Response.json(await req.json());
  });
}
