/**
 * The container's health check: asks the node in this container for `GET /readyz` (public,
 * no credential) and exits 0 when it answers 200, 1 otherwise. Readiness rather than
 * liveness, so a node still loading its skills or draining for shutdown reports unhealthy
 * and an orchestrator sends it no traffic.
 *
 * Run with the network limited to the node's own port:
 *
 * ```sh
 * deno run --no-config --allow-net=127.0.0.1:7700 /opt/swarm/healthcheck.ts [URL]
 * ```
 *
 * `URL` defaults to `http://127.0.0.1:7700/readyz`.
 *
 * @module
 */

const url = Deno.args[0] ?? "http://127.0.0.1:7700/readyz";

try {
  const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(2_000) });
  const body = (await res.text()).slice(0, 200);
  console.log(`${url}: ${res.status} ${body}`);
  Deno.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  console.log(`${url}: ${(err as Error).message}`);
  Deno.exit(1);
}
