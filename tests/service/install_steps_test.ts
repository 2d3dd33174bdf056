import assert from "node:assert/strict";
import { installSteps, uninstallSteps } from "../../lib/service/mod.ts";

const TOKEN = { id: "token", flag: "token-file", source: "/etc/credstore/swarm-token" };

Deno.test("installSteps() for systemd: reload, enable --now, status; the missing token first", () => {
  const lines = installSteps("systemd", {
    path: "/etc/systemd/system/swarm.service",
    name: "swarm",
    inSearchPath: true,
    credentials: [{ ...TOKEN, exists: false }],
  });
  assert.deepEqual(lines.filter((l) => l.startsWith("  ") && !l.startsWith("  #")), [
    "  install -d -m 0700 /etc/credstore",
    `  (umask 077; printf '%s\\n' "$SKILLLITE_SWARM_TOKEN" > /etc/credstore/swarm-token)`,
    "  systemctl daemon-reload",
    "  systemctl enable --now swarm.service",
    "  systemctl status swarm.service",
    "  journalctl -u swarm.service -f        # its logs (JSON lines)",
  ]);
  assert.ok(lines.includes("Stop it (in-flight tasks drain first): systemctl stop swarm.service"));
});

Deno.test("installSteps() for systemd skips existing secrets and links a unit outside the search path", () => {
  const lines = installSteps("systemd", {
    path: "/srv/units/swarm.service",
    name: "swarm",
    inSearchPath: false,
    credentials: [{ ...TOKEN, exists: true }],
  });
  assert.ok(!lines.some((l) => l.includes("credstore")), lines.join("\n"));
  assert.ok(lines.includes("  systemctl link /srv/units/swarm.service"));
  assert.ok(lines.at(-1)!.endsWith("swarm service uninstall --dir /srv/units"));
});

Deno.test("installSteps() encrypts secrets with systemd-creds when asked", () => {
  const lines = installSteps("systemd", {
    path: "/etc/systemd/system/swarm.service",
    name: "swarm",
    inSearchPath: true,
    encryptedCredentials: true,
    credentials: [
      {
        id: "token",
        flag: "token-file",
        source: "/etc/credstore.encrypted/swarm-token",
        exists: false,
      },
      {
        id: "tls-key",
        flag: "tls-key",
        source: "/etc/credstore.encrypted/node.key",
        exists: false,
      },
    ],
  });
  assert.ok(lines.includes(
    `  printf '%s' "$SKILLLITE_SWARM_TOKEN" | systemd-creds encrypt --name=token - /etc/credstore.encrypted/swarm-token`,
  ));
  assert.ok(
    lines.some((l) =>
      l.startsWith("  systemd-creds encrypt --name=tls-key FILE /etc/credstore.encrypted/node.key")
    ),
  );
  assert.equal(lines.filter((l) => l.startsWith("  install -d")).length, 1, "one directory");
});

Deno.test("installSteps() for launchd: bootstrap into the user's GUI domain, paths quoted", () => {
  const path = "/Users/ada/Library/LaunchAgents/local.swarm.plist";
  const token = "/Users/ada/Library/Application Support/local.swarm/token";
  const lines = installSteps("launchd", {
    path,
    name: "local.swarm",
    inSearchPath: true,
    uid: 501,
    log: "/Users/ada/Library/Logs/local.swarm.log",
    credentials: [{ id: "token", flag: "token-file", source: token, exists: false }],
  });
  assert.ok(
    lines.includes(`  install -d -m 0700 '/Users/ada/Library/Application Support/local.swarm'`),
  );
  assert.ok(lines.includes(`  (umask 077; printf '%s\\n' "$SKILLLITE_SWARM_TOKEN" > '${token}')`));
  assert.ok(lines.includes(`  launchctl bootstrap gui/501 ${path}`));
  assert.ok(lines.includes("  launchctl print gui/501/local.swarm"));
  assert.ok(
    lines.includes("Stop it (in-flight tasks drain first): launchctl bootout gui/501/local.swarm"),
  );
});

Deno.test("uninstallSteps() reloads systemd and says what was kept", () => {
  const lines = uninstallSteps("systemd", { name: "swarm", dataDir: "/var/lib/swarm" });
  assert.ok(lines.includes("  systemctl daemon-reload"));
  assert.match(lines.at(-1)!, /^Kept: the node's data directory \/var\/lib\/swarm/);
  const mac = uninstallSteps("launchd", { name: "local.swarm", dataDir: "/Users/a/d d", uid: 501 });
  assert.ok(mac.includes("  launchctl bootout gui/501/local.swarm"));
  assert.match(mac.at(-1)!, /'\/Users\/a\/d d'/);
});
