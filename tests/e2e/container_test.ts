/**
 * The container image and the three-node compose mesh of deploy/container/: built with
 * build.sh (FROM scratch, no registry), started with podman-compose from compose.yaml
 * on a private podman network this test creates. A task posted to the node without
 * skills is forwarded to and run by another container (in bubblewrap, inside the
 * container), a request without the token is refused, the containers run as an
 * unprivileged user, the image's health check answers, and a container without the
 * token secret or without the --allow-net opt-in refuses to start.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { fetchWithin } from "../_helpers/with_timeout.ts";
import { freePort, nodeTask } from "./_node.ts";
import {
  buildImage,
  composeUp,
  CONTAINER_DIR,
  containerProcessStatus,
  createNetwork,
  E2E_PREFIX,
  IMAGE_UID,
  podman,
  podmanOk,
  podmanUnavailable,
  removeAllOwned,
  ROOT,
  RUNTIME_OPTIONS,
} from "./_podman.ts";

const COMPOSE_FILE = join(CONTAINER_DIR, "compose.yaml");
const unavailable = await podmanUnavailable();
if (unavailable) console.log(`container_test skipped: ${unavailable}`);

/** The words of a Containerfile instruction in exec form (`ENTRYPOINT [...]`). */
function execForm(containerfile: string, instruction: string): string[] {
  const joined = containerfile.replace(/\\\n/g, " ");
  const line = joined.split("\n").find((l) => l.startsWith(`${instruction} [`));
  assert.ok(line, `Containerfile has no ${instruction} in exec form`);
  return JSON.parse(line.slice(instruction.length + 1));
}

Deno.test("Containerfile runs main.ts with exactly the permission and unstable flags of `deno task start`", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const start = (denoJson.tasks.start as string).split(/\s+/);
  const startFlags = start.filter((w) => /^--(allow|deny|unstable)-/.test(w));
  assert.ok(startFlags.length > 5, `unexpected start task: ${denoJson.tasks.start}`);
  const entry = execForm(
    await Deno.readTextFile(join(CONTAINER_DIR, "Containerfile")),
    "ENTRYPOINT",
  );
  const main = entry.indexOf("/opt/swarm/main.ts");
  assert.deepEqual(entry.slice(0, 2), ["/usr/local/bin/deno", "run"]);
  assert.ok(main > 0, "the entry point does not run /opt/swarm/main.ts");
  const denoFlags = entry.slice(2, main).filter((w) => /^--(allow|deny|unstable)-/.test(w));
  assert.deepEqual(denoFlags, startFlags);
  const nodeArgs = entry.slice(main + 1);
  assert.deepEqual(nodeArgs, [
    "--listen",
    "0.0.0.0:7700",
    "--data-dir",
    "/var/lib/swarm",
    "--token-file",
    "/run/secrets/swarm_token",
  ]);
});

Deno.test("compose.yaml opts every node into its network's CIDR only, with the token secret and the sandbox", async () => {
  const text = await Deno.readTextFile(COMPOSE_FILE);
  const compose = parseYaml(text, { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
    secrets: Record<string, { file: string }>;
  };
  assert.deepEqual(Object.keys(compose.services).sort(), ["calc", "edge", "time"]);
  assert.match(compose.secrets.swarm_token.file, /^\$\{SWARM_TOKEN_FILE:\?/);
  for (const [name, service] of Object.entries(compose.services)) {
    const command = service.command as string[];
    assert.ok(
      command.some((w) => /^--allow-net=\$\{SWARM_SUBNET:\?/.test(w)),
      `${name} has no --allow-net=\${SWARM_SUBNET}`,
    );
    for (const flag of ["--insecure-no-auth", "--allow-unsandboxed", "--allow-net=0.0.0.0"]) {
      assert.ok(!command.includes(flag), `${name} passes ${flag}`);
    }
    assert.deepEqual(service.secrets, ["swarm_token"]);
    assert.deepEqual(service.cap_drop, ["ALL"]);
    assert.ok((service.security_opt as string[]).includes("unmask=/proc/*"));
    assert.equal(service.user, `${IMAGE_UID}:${IMAGE_UID}`);
    // The token reaches a node only as the mounted secret file, never through compose's text.
    assert.equal(service.environment, undefined, `${name} sets environment variables`);
    assert.equal(service.env_file, undefined, `${name} reads an env file`);
  }
});

Deno.test({
  name: "container: a three-node compose mesh forwards a task from the skill-less node",
  ignore: unavailable !== null,
  async fn(t) {
    const secrets = await Deno.makeTempDir({ prefix: `${E2E_PREFIX}-secret-` });
    let failure: { error: unknown } | undefined;
    try {
      const token = crypto.randomUUID().replaceAll("-", "");
      const tokenFile = join(secrets, "swarm_token");
      await Deno.writeTextFile(tokenFile, `${token}\n`, { mode: 0o400 });
      await Deno.chown(tokenFile, IMAGE_UID, IMAGE_UID);
      await Deno.chmod(tokenFile, 0o400);

      const image = await buildImage();
      const network = await createNetwork();
      const port = freePort();
      const mesh = await composeUp(COMPOSE_FILE, {
        SWARM_IMAGE: image,
        SWARM_NETWORK: network.name,
        SWARM_SUBNET: network.subnet,
        SWARM_TOKEN_FILE: tokenFile,
        SWARM_PORT: String(port),
      });
      const edgeUrl = `http://127.0.0.1:${port}`;
      const auth = { authorization: `Bearer ${token}` };

      const started = (service: string) =>
        mesh.waitForLog(service, "swarm_started", (l) => l.message === "swarm_started", 90_000);
      const [edge, calc, time] = await Promise.all(["edge", "calc", "time"].map(started));
      const ids = {
        edge: String(edge.node_id),
        calc: String(calc.node_id),
        time: String(time.node_id),
      };

      await t.step(
        "without the token secret or the --allow-net opt-in a container refuses to start",
        async () => {
          const run = (name: string, args: string[]) =>
            podman([
              "run",
              "--rm",
              "--name",
              `${E2E_PREFIX}-${name}`,
              ...RUNTIME_OPTIONS,
              "--network",
              "none",
              ...args,
            ], 90_000);
          const [noToken, noOptIn] = await Promise.all([
            run("no-token", [image, `--allow-net=${network.subnet}`]),
            run("no-opt-in", ["-v", `${tokenFile}:/run/secrets/swarm_token:ro`, image]),
          ]);
          assert.equal(noToken.code, 2, noToken.stderr);
          assert.match(noToken.stderr, /Cannot read token file '\/run\/secrets\/swarm_token'/);
          assert.equal(noOptIn.code, 2, noOptIn.stderr);
          assert.match(noOptIn.stderr, /Refusing to listen on 0\.0\.0\.0: .*--allow-net/);
        },
      );

      await t.step(
        "the nodes find each other by mDNS on the network and prove membership",
        async () => {
          const deadline = Date.now() + 30_000;
          let peers: Array<Record<string, unknown>> = [];
          while (Date.now() < deadline) {
            const res = await fetchWithin(`${edgeUrl}/status`, { headers: auth, ms: 10_000 });
            assert.equal(res.status, 200);
            peers = (await res.json()).peers;
            const trusted = (id: string) => peers.some((p) => p.id === id && p.trust === "token");
            if (trusted(ids.calc) && trusted(ids.time)) break;
            await new Promise((r) => setTimeout(r, 250));
          }
          const calcPeer = peers.find((p) => p.id === ids.calc);
          assert.ok(calcPeer, `edge does not know calc within 30 s: ${JSON.stringify(peers)}`);
          assert.equal(calcPeer.trust, "token", JSON.stringify(calcPeer));
          assert.deepEqual(calcPeer.sources, ["mdns"]);
          assert.ok((calcPeer.capabilities as string[]).includes("calc"));
          assert.ok(String(calcPeer.address).startsWith(network.subnet.replace(/0\/24$/, "")));
          assert.ok(peers.some((p) => p.id === ids.time && p.trust === "token"));
          assert.deepEqual(edge.capabilities, []);
        },
      );

      await t.step("a calc task posted to edge is forwarded to and answered by calc", async () => {
        const task = nodeTask("multiply", { required: ["calc"], input: { expression: "6*7" } });
        const res = await fetchWithin(`${edgeUrl}/task`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify(task),
          ms: 60_000,
        });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(body.task_id, task.id);
        assert.equal(body.task_completed, true, JSON.stringify(body));
        assert.deepEqual(JSON.parse(body.response), { result: 42, expression: "6*7" });
        const routed = (service: string) =>
          mesh.waitForLog(
            service,
            `task_routed of ${task.id}`,
            (l) => l.message === "task_routed" && l.taskId === task.id,
            15_000,
          );
        const [atEdge, atCalc] = await Promise.all([routed("edge"), routed("calc")]);
        assert.equal(atEdge.route, "forward");
        assert.equal(atEdge.peer, ids.calc);
        assert.equal(atCalc.route, "local");
        assert.equal(atCalc.node_id, ids.calc);
        const atTime = (await mesh.logs("time")).find((l) => l.taskId === task.id);
        assert.equal(atTime, undefined, "time saw the task");
      });

      await t.step("calc runs its skill in bubblewrap inside the container", async () => {
        const calcIp = (await podmanOk([
          "inspect",
          "-f",
          "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
          await mesh.container("calc"),
        ])).trim();
        const res = await fetchWithin(`http://${calcIp}:7700/status`, { headers: auth });
        const status = await res.json();
        const skill = status.skills.find((s: { name: string }) => s.name === "calculator");
        // "deno": Deno's permission flags inside bubblewrap (docs/status.md).
        assert.equal(skill?.sandbox, "deno", JSON.stringify(status.skills));
      });

      await t.step("a request without the token is refused with 401 unauthorized", async () => {
        const refused: Array<Record<string, string>> = [{}, {
          authorization: "Bearer not-the-token",
        }];
        for (const headers of refused) {
          const res = await fetchWithin(`${edgeUrl}/task`, {
            method: "POST",
            headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify(nodeTask("multiply", { required: ["calc"] })),
          });
          assert.equal(res.status, 401);
          assert.equal((await res.json()).error, "unauthorized");
        }
        const status = await fetchWithin(`${edgeUrl}/status`);
        assert.equal(status.status, 401);
        assert.equal((await status.json()).error, "unauthorized");
      });

      await t.step(
        "health endpoints need no credential and the image's HEALTHCHECK passes",
        async () => {
          for (const path of ["/healthz", "/readyz"]) {
            const res = await fetchWithin(`${edgeUrl}${path}`);
            assert.equal(res.status, 200, path);
            assert.equal((await res.json()).node_id, ids.edge);
          }
          const check = await podman(["healthcheck", "run", await mesh.container("edge")]);
          assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
          const health = JSON.parse(
            await podmanOk([
              "inspect",
              "-f",
              "{{json .State.Health}}",
              await mesh.container("edge"),
            ]),
          );
          assert.equal(health.Status, "healthy");
          assert.match(health.Log.at(-1).Output, /\/readyz: 200 /);
        },
      );

      await t.step(
        "every container runs as the unprivileged user, with no capabilities",
        async () => {
          const user = (await podmanOk(["image", "inspect", "-f", "{{.Config.User}}", image]))
            .trim();
          assert.equal(user, `${IMAGE_UID}:${IMAGE_UID}`);
          for (const service of ["edge", "calc", "time"]) {
            const container = await mesh.container(service);
            const uid = String(IMAGE_UID);
            assert.deepEqual(await containerProcessStatus(container, "Uid"), [uid, uid, uid, uid]);
            assert.deepEqual(await containerProcessStatus(container, "Gid"), [uid, uid, uid, uid]);
            assert.deepEqual(await containerProcessStatus(container, "CapEff"), [
              "0000000000000000",
            ]);
            assert.deepEqual(await containerProcessStatus(container, "NoNewPrivs"), ["1"]);
          }
        },
      );

      await t.step("podman-compose down removes the mesh", async () => {
        const down = await mesh.down();
        assert.equal(down.code, 0, `${down.stdout}${down.stderr}`);
        const left = await podmanOk([
          "ps",
          "-a",
          "--filter",
          `label=io.podman.compose.project=${mesh.project}`,
          "--format",
          "{{.Names}}",
        ]);
        assert.equal(left.trim(), "");
      });
    } catch (error) {
      failure = { error };
    }
    await Deno.remove(secrets, { recursive: true }).catch(() => {});
    try {
      removeAllOwned();
    } catch (err) {
      // The test's own failure comes first; a clean-up failure fails a passing test.
      if (failure === undefined) failure = { error: err };
      else console.error(err);
    }
    if (failure !== undefined) throw failure.error;
  },
});
