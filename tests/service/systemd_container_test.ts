/**
 * The generated unit run for real: systemd 252 as PID 1 in a podman container (the
 * host's own Debian root file system as an overlay, no network), `swarm service
 * install` inside it, the node started by systemd as a DynamicUser in the hardened
 * sandbox, a skill run in bubblewrap there, and `systemctl stop` draining a task in
 * flight. A second unit serves the LAN with its token handed over by LoadCredential=.
 *
 * Needs root, podman, runc and systemd (DESIGN.md §6), /usr/bin/python3 for the sleeper
 * skill, and a checkout the unit can see (not under /home, /root or /tmp); skips with
 * the reason otherwise.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopTimeoutSeconds, systemdHiddenPath } from "../../lib/service/mod.ts";
import { DEFAULT_CONFIG } from "../../lib/config/mod.ts";
import { installedSwarm } from "../e2e/_launcher.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const SLEEPER = join(ROOT, "tests/fixtures/skills/sleeper");
const NAME = `swarm-service-test-${Deno.pid}`;
/** Where the test's files appear inside the container (outside what the unit hides). */
const MOUNT = "/opt/swarm-service-test";

async function run(
  program: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, out: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

async function unavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "needs root (podman with systemd as PID 1)";
  for (const [tool, args] of [["podman", ["--version"]], ["runc", ["--version"]]] as const) {
    try {
      if ((await run(tool, [...args])).code !== 0) return `${tool} does not run`;
    } catch {
      return `${tool} is not installed`;
    }
  }
  for (const file of ["/lib/systemd/systemd", "/usr/bin/python3", "/usr/bin/bwrap"]) {
    try {
      await Deno.stat(file);
    } catch {
      return `${file} is missing`;
    }
  }
  const hidden = systemdHiddenPath(ROOT);
  if (hidden) return `the checkout ${ROOT} is hidden from units: ${hidden}`;
  return null;
}

const skip = await unavailable();
if (skip) console.log(`systemd_container_test skipped: ${skip}`);

/** Runs a shell script in the container as root. */
function inContainer(script: string, timeoutMs = 120_000) {
  return run("podman", ["exec", NAME, "sh", "-c", script], timeoutMs);
}

/** Polls `check` (a shell condition in the container) until it holds, at most `seconds`. */
async function waitIn(
  check: string,
  seconds: number,
  what: string,
  unit?: string,
): Promise<void> {
  const { code, out } = await inContainer(
    `i=0; until ${check}; do i=$((i+1)); [ $i -ge ${seconds * 4} ] && exit 1; sleep 0.25; done`,
    (seconds + 10) * 1000,
  );
  if (code !== 0) {
    assert.fail(`timed out waiting for ${what}: ${out}${unit ? await journal(unit) : ""}`);
  }
}

/** The unit's journal, for failure messages. */
async function journal(unit: string): Promise<string> {
  return (await inContainer(`journalctl -u ${unit} -o cat --no-pager | grep -v '^Download'`)).out;
}

const TASK = (id: string, seconds: number) =>
  JSON.stringify({
    id,
    description: "nap",
    context: { workspace: ".", session_key: "s", required_capabilities: ["sleep"] },
    input: { seconds },
  });

Deno.test({
  name: "the systemd unit runs a node for real, sandboxes its skill, and drains on stop",
  ignore: skip !== null,
  sanitizeResources: false,
  async fn() {
    const installed = await installedSwarm();
    const dir = await Deno.makeTempDir({ prefix: "swarm-service-test-" });
    try {
      // The launcher install.sh wrote (it runs this checkout's main.ts with its Deno), where
      // the unit's unprivileged user can reach it.
      await Deno.chmod(dir, 0o755);
      await Deno.mkdir(join(dir, "bin"), { mode: 0o755 });
      await Deno.copyFile(installed, join(dir, "bin", "swarm"));
      await Deno.chmod(join(dir, "bin", "swarm"), 0o755);
      await Deno.writeTextFile(
        join(dir, "test.target"),
        "[Unit]\nDescription=the base system only\nRequires=basic.target\nAfter=basic.target\n",
      );
      const started = await run("podman", [
        "run",
        "-d",
        "--name",
        NAME,
        "--runtime",
        "runc",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        // systemd needs to build each unit's namespaces; /proc unmasked as on a host.
        "--cap-add",
        "SYS_ADMIN",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "unmask=ALL",
        "--network",
        "none",
        "--systemd",
        "always",
        "--tmpfs",
        "/tmp:rw,notmpcopyup,mode=1777",
        "--tmpfs",
        // Shared, as on a host: systemd moves each unit's credentials mount into place.
        "/run:rw,notmpcopyup,rshared",
        "-v",
        `${dir}:${MOUNT}:ro`,
        "-v",
        `${dir}/test.target:/etc/systemd/system/swarm-service-test.target:ro`,
        "--rootfs",
        "/:O",
        "/lib/systemd/systemd",
        "--unit=swarm-service-test.target",
      ]);
      assert.equal(started.code, 0, started.out);
      await waitIn(
        `systemctl is-system-running 2>/dev/null | grep -qE '^(running|degraded)$'`,
        60,
        "systemd in the container",
      );

      // 1. Loopback unit: install, start, run a skill in bubblewrap, drain on stop.
      const swarm = `${MOUNT}/bin/swarm`;
      const install = await inContainer(
        `${swarm} service install --exec ${swarm} -- --skills-dir ${SLEEPER}`,
      );
      assert.equal(install.code, 0, install.out);
      assert.match(install.out, /^Installed \/etc\/systemd\/system\/swarm\.service\.$/m);
      assert.match(install.out, /^ {2}systemctl enable --now swarm\.service$/m);
      const verify = await inContainer("systemd-analyze verify /etc/systemd/system/swarm.service");
      assert.equal(verify.code, 0, verify.out);
      const start = await inContainer("systemctl daemon-reload && systemctl start swarm.service");
      assert.equal(start.code, 0, start.out + (await journal("swarm.service")));
      await waitIn(
        "curl -sf -o /dev/null http://127.0.0.1:7700/readyz",
        90,
        "the node's /readyz",
        "swarm.service",
      );

      const user = await inContainer(
        "ps -o user= -p $(systemctl show -p MainPID --value swarm.service)",
      );
      assert.equal(user.out.trim(), "swarm", "a DynamicUser named after the unit");
      const quick = await inContainer(
        `curl -s -m 60 -H 'content-type: application/json' -d '${
          TASK(crypto.randomUUID(), 0)
        }' http://127.0.0.1:7700/task`,
      );
      assert.match(quick.out, /"task_completed":true/, "the skill ran in bubblewrap: " + quick.out);

      const slow = crypto.randomUUID();
      const background = inContainer(
        `curl -s -m 120 -H 'content-type: application/json' -d '${
          TASK(slow, 6)
        }' http://127.0.0.1:7700/task`,
      );
      await waitIn(
        `curl -s http://127.0.0.1:7700/healthz | grep -q '"running_tasks":1'`,
        30,
        "the slow task to start",
      );
      const stop = await inContainer(
        "t0=$(date +%s%N); systemctl stop swarm.service; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 ))",
      );
      assert.equal(stop.code, 0, stop.out);
      const stopMs = Number(stop.out.trim().split("\n").at(-1));
      const answer = await background;
      assert.match(answer.out, new RegExp(`"task_id":"${slow}"`), answer.out);
      assert.match(answer.out, /"task_completed":true/, answer.out);
      assert.match(answer.out, /slept\\": 6/, answer.out);
      assert.ok(stopMs > 1_000, `the stop waited for the task (${stopMs} ms)`);
      assert.ok(
        stopMs < stopTimeoutSeconds(DEFAULT_CONFIG.drainTimeoutMs) * 1000,
        `and ended before TimeoutStopSec (${stopMs} ms)`,
      );
      const result = await inContainer(
        "systemctl show -p Result -p ExecMainStatus swarm.service; journalctl -u swarm.service -o cat --no-pager | grep swarm_stopped",
      );
      assert.match(result.out, /^Result=success$/m, result.out);
      assert.match(result.out, /^ExecMainStatus=0$/m, result.out);
      assert.match(result.out, /"swarm_stopped".*"clean":true/, result.out);

      const uninstall = await inContainer(`${swarm} service uninstall`);
      assert.equal(uninstall.code, 0, uninstall.out);
      assert.match(uninstall.out, /^Removed \/etc\/systemd\/system\/swarm\.service\.$/m);

      // 2. LAN unit: the token reaches the node only as a credential.
      const token = "service-test-" + crypto.randomUUID();
      const lan = await inContainer(
        `install -d -m 0700 /etc/credstore && (umask 077; printf '%s\\n' '${token}' > /etc/credstore/swarm-lan-token) && ` +
          `${swarm} service install --exec ${swarm} --lan --name swarm-lan && ` +
          "systemctl daemon-reload && systemctl start swarm-lan.service",
      );
      assert.equal(lan.code, 0, lan.out);
      assert.ok(!lan.out.includes("SKILLLITE_SWARM_TOKEN"), "the token file exists already");
      await waitIn(
        "curl -s -o /dev/null http://127.0.0.1:7700/healthz",
        90,
        "the LAN node",
        "swarm-lan.service",
      );
      const unit = await inContainer("cat /etc/systemd/system/swarm-lan.service");
      assert.ok(!unit.out.includes(token), "the token is not in the unit");
      assert.match(unit.out, /^LoadCredential=token:\/etc\/credstore\/swarm-lan-token$/m);
      const refused = await inContainer(
        "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:7700/status",
      );
      assert.equal(refused.out, "401");
      const allowed = await inContainer(
        `curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer ${token}' http://127.0.0.1:7700/status`,
      );
      assert.equal(allowed.out, "200");
      const bound = await inContainer("journalctl -u swarm-lan.service -o cat --no-pager");
      assert.match(bound.out, /"swarm_started".*"url":"http:\/\/0\.0\.0\.0:7700"/, bound.out);
      assert.equal((await inContainer("systemctl stop swarm-lan.service")).code, 0);
    } finally {
      await run("podman", ["rm", "-f", "-t", "0", NAME]).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
