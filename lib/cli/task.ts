/**
 * `swarm task`: submit a NodeTask and print its result.
 *
 * @module
 */
import { SwarmClient } from "../client/mod.ts";
import { DEADLINE_HEADER } from "../routing/mod.ts";
import { type NodeResult, type NodeTask, type StreamEvent, SwarmError } from "../protocol/mod.ts";
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  targetOfArgs,
  type TlsFlagValues,
  tlsFlagValues,
} from "./_client_flags.ts";
import { EXIT_FAILURE, EXIT_OK, parseCliArgs, runSubcommand, UsageError } from "./_usage.ts";
import { jsonForTerminal, terminalSafe } from "./_terminal.ts";

/** Help of `swarm task`. */
export const TASK_HELP = `Usage: swarm task DESCRIPTION [options]

Submits a task (a NodeTask with a fresh UUID) to a node and prints the result's
response. Exits 1 when the node answers an error or the task did not complete.

Options:
  --require TAG       capability the executing node must hold (repeatable)
  --tool-hint NAME    skill to run
  --input JSON        JSON input handed to the skill (default: from the description)
  --workspace LABEL   context.workspace label (default ".")
  --session-key KEY   context.session_key (default "default")
  --stream            follow the NDJSON progress stream
  --agent-events      print SkillLite's agent events as JSON lines on stdout:
                      swarm_started, swarm_progress, swarm_finished, swarm_failed
  --timeout-ms MS     the task's deadline in milliseconds (default 120000), sent
                      to the node and carried to every hop: past it the task is
                      stopped wherever it runs and the answer is 504 timeout
${CLIENT_HELP}`;

/** Parsed arguments of `swarm task`. */
export interface TaskArgs {
  help: boolean;
  task: NodeTask;
  stream: boolean;
  /** Print SkillLite's agent-loop events (swarm_started, …) instead of the plain output. */
  agentEvents: boolean;
  json: boolean;
  timeoutMs: number;
  url?: string;
  tokenFile?: string;
  /** `--tls-ca`, `--tls-cert`, `--tls-key`, when any was given. */
  tls?: TlsFlagValues;
}

/**
 * Parses `swarm task` arguments into a ready NodeTask.
 *
 * @throws {UsageError} On unknown flags, a missing description or bad `--input` JSON.
 */
export function parseTaskArgs(
  argv: string[],
  newId: () => string = () => crypto.randomUUID(),
): TaskArgs {
  const parsed = parseCliArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...CLIENT_OPTIONS,
      require: { type: "string", multiple: true },
      "tool-hint": { type: "string" },
      input: { type: "string" },
      workspace: { type: "string" },
      "session-key": { type: "string" },
      stream: { type: "boolean" },
      "agent-events": { type: "boolean" },
      "timeout-ms": { type: "string" },
    },
  });
  const { values, positionals } = parsed;
  const base = {
    help: values.help ?? false,
    stream: values.stream ?? false,
    agentEvents: values["agent-events"] ?? false,
    json: values.json ?? false,
    url: values.url,
    tokenFile: values["token-file"],
    ...tlsFlagValues(values),
  };
  if (base.help) {
    return {
      ...base,
      timeoutMs: 0,
      task: {
        id: "",
        description: "",
        context: { workspace: ".", session_key: "default", required_capabilities: [] },
      },
    };
  }
  if (positionals.length === 0) throw new UsageError("Missing DESCRIPTION");
  if (positionals.length > 1) {
    throw new UsageError(`Unexpected argument '${positionals[1]}' (quote the description)`);
  }
  const timeoutMs = Number(values["timeout-ms"] ?? 120_000);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new UsageError(
      `--timeout-ms must be a positive integer: current value is ${values["timeout-ms"]}`,
    );
  }
  const task: NodeTask = {
    id: newId(),
    description: positionals[0],
    context: {
      workspace: values.workspace ?? ".",
      session_key: values["session-key"] ?? "default",
      required_capabilities: (values.require ?? []).flatMap((t) => t.split(",")).map((t) =>
        t.trim()
      ).filter(Boolean),
    },
  };
  if (values["tool-hint"] !== undefined) task.tool_hint = values["tool-hint"];
  if (values.input !== undefined) {
    try {
      task.input = JSON.parse(values.input);
    } catch (err) {
      throw new UsageError(`--input is not valid JSON: ${(err as Error).message}`);
    }
  }
  return { ...base, task, timeoutMs };
}

function describeEvent(event: StreamEvent): string {
  switch (event.event) {
    case "received":
      return `received by ${event.node ?? "node"}`;
    case "executing":
      return `executing on ${event.node ?? "node"}${event.skill ? ` (skill ${event.skill})` : ""}`;
    case "forwarding":
      return `forwarding to ${event.peer} at ${event.address} (attempt ${event.attempt})`;
    case "done":
      return "done";
    case "error":
      return `error: ${event.error.error}: ${event.error.message}`;
  }
}

/**
 * Delegates like SkillLite's `delegate_to_swarm`, printing the agent loop's events as
 * JSON lines: `swarm_started {description}`, `swarm_progress {status}` per progress
 * step, then `swarm_finished {summary}` or `swarm_failed {message}` (the message ends
 * with "Fallback to local execution", as SkillLite's tool says to the model).
 */
async function delegateWithAgentEvents(client: SwarmClient, task: NodeTask): Promise<number> {
  const emit = (event: Record<string, unknown>) => console.log(jsonForTerminal(event));
  emit({ event: "swarm_started", description: task.description });
  try {
    let result: NodeResult | undefined;
    for await (const event of client.streamTask(task)) {
      if (event.event === "done") result = event.result;
      else if (event.event === "error") {
        throw new Error(`${event.error.error}: ${event.error.message}`);
      } else emit({ event: "swarm_progress", status: describeEvent(event) });
    }
    if (!result) throw new Error("The stream ended without a result");
    if (!result.task_completed) throw new Error(`Task did not complete: ${result.response}`);
    emit({ event: "swarm_finished", summary: result.response });
    return EXIT_OK;
  } catch (err) {
    const why = err instanceof SwarmError ? `${err.code}: ${err.message}` : (err as Error).message;
    emit({
      event: "swarm_failed",
      message: `Swarm delegation failed: ${why}. Fallback to local execution`,
    });
    return EXIT_FAILURE;
  }
}

/** How much longer than the task's deadline the client waits for the node's answer. */
const ANSWER_MARGIN_MS = 5_000;

/** Runs `swarm task` and returns the exit code. */
export function runTask(argv: string[]): Promise<number> {
  return runSubcommand(argv, {
    name: "task",
    parse: parseTaskArgs,
    help: TASK_HELP,
    run: async (args) => {
      const target = targetOfArgs(args);
      // The deadline goes to the node (which carries it across hops and stops the task
      // there); the client waits a moment longer, so the node's own 504 can arrive.
      const client = new SwarmClient({
        ...target,
        timeoutMs: args.timeoutMs + ANSWER_MARGIN_MS,
        headers: { [DEADLINE_HEADER]: String(args.timeoutMs) },
      });
      if (args.agentEvents) return await delegateWithAgentEvents(client, args.task);
      let result: NodeResult | undefined;
      if (args.stream) {
        for await (const event of client.streamTask(args.task)) {
          console.log(
            args.json ? jsonForTerminal(event) : `· ${terminalSafe(describeEvent(event))}`,
          );
          if (event.event === "done") result = event.result;
          if (event.event === "error") return EXIT_FAILURE;
        }
        if (!result) {
          throw new SwarmError("bad_peer_response", "The stream ended without a result");
        }
        if (!args.json) console.log(terminalSafe(result.response, { multiline: true }));
      } else {
        result = await client.submitTask(args.task);
        console.log(
          args.json ? jsonForTerminal(result) : terminalSafe(result.response, { multiline: true }),
        );
      }
      if (!result.task_completed) {
        console.error("swarm task: the task did not complete");
        return EXIT_FAILURE;
      }
      return EXIT_OK;
    },
  });
}
