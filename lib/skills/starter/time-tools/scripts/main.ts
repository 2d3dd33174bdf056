// Time tools starter skill: current time in a time zone and calendar-day arithmetic, JSON in and
// out. Reads the TZ environment variable, the one permission its SKILL.md declares.

class TimeError extends Error {}

const DAY_MS = 86_400_000;
const MAX_DAYS = 10_000_000;

function parseDate(value: unknown, field: string): number {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new TimeError(`'${field}' must be a date written YYYY-MM-DD`);
  }
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new TimeError(`'${field}' is not a calendar date: ${value}`);
  }
  return ms;
}

function parseDays(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) > MAX_DAYS) {
    throw new TimeError(`'days' must be a whole number of at most ${MAX_DAYS}`);
  }
  return value;
}

function now(timezone: string): Record<string, string> {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "long",
      hourCycle: "h23",
    }).formatToParts(new Date());
  } catch {
    throw new TimeError(`Unknown time zone: ${timezone}`);
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return {
    utc: new Date().toISOString(),
    timezone,
    local: `${part("year")}-${part("month")}-${part("day")} ` +
      `${part("hour")}:${part("minute")}:${part("second")}`,
    weekday: part("weekday"),
  };
}

function defaultZone(): string {
  const tz = Deno.env.get("TZ")?.replace(/^:/, "");
  return tz && tz !== "" ? tz : "UTC";
}

function run(input: Record<string, unknown>): Record<string, unknown> {
  if (input.op === undefined && typeof input.description === "string") {
    const text = input.description;
    const dates = text.match(/\d{4}-\d{2}-\d{2}/g) ?? [];
    if (dates.length >= 2) return run({ op: "diff", from: dates[0], to: dates[1] });
    const days = text.match(/([+-]?\d+)\s*days?/i);
    if (dates.length === 1 && days) {
      const sign = /minus|before|ago|减|前/i.test(text) ? -1 : 1;
      return run({ op: "add", date: dates[0], days: sign * Number(days[1]) });
    }
    return run({ op: "now" });
  }
  switch (input.op ?? "now") {
    case "now": {
      const zone = input.timezone ?? defaultZone();
      if (typeof zone !== "string") throw new TimeError("'timezone' must be a string");
      return now(zone);
    }
    case "diff":
      return { days: (parseDate(input.to, "to") - parseDate(input.from, "from")) / DAY_MS };
    case "add": {
      const ms = parseDate(input.date, "date") + parseDays(input.days) * DAY_MS;
      return { date: new Date(ms).toISOString().slice(0, 10) };
    }
    default:
      throw new TimeError(`Unknown op '${String(input.op)}'`);
  }
}

try {
  const text = (await new Response(Deno.stdin.readable).text()).trim();
  const input = text === "" ? {} : JSON.parse(text);
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new TimeError("Input must be a JSON object");
  }
  console.log(JSON.stringify(run(input)));
} catch (err) {
  const message = err instanceof TimeError || err instanceof SyntaxError
    ? err.message
    : String(err);
  console.log(JSON.stringify({ error: message }));
  Deno.exit(1);
}
