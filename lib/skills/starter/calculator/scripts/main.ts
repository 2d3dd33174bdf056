// Calculator starter skill: exact arithmetic from a JSON input on stdin, answer as JSON on stdout.
// Numbers are fractions of BigInts, so 0.1 + 0.2 is 0.3 and no expression is evaluated as code.

type Fraction = { n: bigint; d: bigint };

class CalcError extends Error {}

const WORDS: Array<[RegExp, string]> = [
  [/\bdivided\s+by\b|除以|除/gi, "/"],
  [/\bmultiplied\s+by\b|\btimes\b|乘以|乘/gi, "*"],
  [/\bplus\b|加上|加/gi, "+"],
  [/\bminus\b|减去|减/gi, "-"],
  [/\bmod(ulo)?\b/gi, "%"],
  [/[×✕]/g, "*"],
  [/÷/g, "/"],
  [/\*\*/g, "^"],
];

/** The arithmetic in `text`: normalised, then the longest run of expression characters. */
function extractExpression(text: string): string {
  let normal = text.normalize("NFKC");
  for (const [pattern, symbol] of WORDS) normal = normal.replace(pattern, ` ${symbol} `);
  const runs = normal.match(/[0-9.+\-*/%^()\s]+/g) ?? [];
  const candidates = runs.map((run) => run.trim()).filter((run) => /[0-9]/.test(run));
  if (candidates.length === 0) throw new CalcError("No arithmetic expression found");
  return candidates.reduce((a, b) => (b.length > a.length ? b : a)).replace(/\s+/g, " ");
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function fraction(n: bigint, d: bigint = 1n): Fraction {
  if (d === 0n) throw new CalcError("Division by zero");
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

function parseNumber(text: string): Fraction {
  if (!/^(\d+\.?\d*|\.\d+)$/.test(text)) throw new CalcError(`Invalid number: ${text}`);
  const [whole, decimals = ""] = text.split(".");
  return fraction(BigInt((whole || "0") + decimals), 10n ** BigInt(decimals.length));
}

const MAX_TOKENS = 10_000;
const MAX_EXPONENT = 1_000n;

/** expr := term (('+'|'-') term)*; term := power (('*'|'/'|'%') power)*;
 *  power := unary ('^' power)?; unary := ('+'|'-') unary | number | '(' expr ')' */
class Parser {
  #tokens: string[];
  #pos = 0;

  constructor(expression: string) {
    this.#tokens = expression.match(/\d+\.?\d*|\.\d+|[+\-*/%^()]|\S/g) ?? [];
    if (this.#tokens.length > MAX_TOKENS) throw new CalcError("Expression too long");
  }

  parse(): Fraction {
    if (this.#tokens.length === 0) throw new CalcError("Empty expression");
    const value = this.#expr();
    if (this.#pos < this.#tokens.length) {
      throw new CalcError(`Unexpected '${this.#tokens[this.#pos]}'`);
    }
    return value;
  }

  #peek(): string | undefined {
    return this.#tokens[this.#pos];
  }

  #expr(): Fraction {
    let value = this.#term();
    for (let op = this.#peek(); op === "+" || op === "-"; op = this.#peek()) {
      this.#pos++;
      const right = this.#term();
      value = op === "+"
        ? fraction(value.n * right.d + right.n * value.d, value.d * right.d)
        : fraction(value.n * right.d - right.n * value.d, value.d * right.d);
    }
    return value;
  }

  #term(): Fraction {
    let value = this.#power();
    for (let op = this.#peek(); op === "*" || op === "/" || op === "%"; op = this.#peek()) {
      this.#pos++;
      const right = this.#power();
      if (op === "*") value = fraction(value.n * right.n, value.d * right.d);
      else if (op === "/") value = fraction(value.n * right.d, value.d * right.n);
      else {
        if (right.n === 0n) throw new CalcError("Division by zero");
        // a mod b = a - b * floor(a / b), on fractions.
        const q = fraction(value.n * right.d, value.d * right.n);
        let floor = q.n / q.d;
        if (q.n < 0n && q.n % q.d !== 0n) floor -= 1n;
        value = fraction(value.n * right.d - floor * right.n * value.d, value.d * right.d);
      }
    }
    return value;
  }

  #power(): Fraction {
    const base = this.#unary();
    if (this.#peek() !== "^") return base;
    this.#pos++;
    const exponent = this.#power();
    if (exponent.d !== 1n) throw new CalcError("Only whole-number exponents are supported");
    const e = exponent.n < 0n ? -exponent.n : exponent.n;
    if (e > MAX_EXPONENT) throw new CalcError(`Exponent too large (at most ${MAX_EXPONENT})`);
    const raised = fraction(base.n ** e, base.d ** e);
    return exponent.n < 0n ? fraction(raised.d, raised.n) : raised;
  }

  #unary(): Fraction {
    const token = this.#peek();
    this.#pos++;
    if (token === "+") return this.#unary();
    if (token === "-") {
      const value = this.#unary();
      return fraction(-value.n, value.d);
    }
    if (token === "(") {
      const value = this.#expr();
      if (this.#peek() !== ")") throw new CalcError("Missing ')'");
      this.#pos++;
      return value;
    }
    if (token === undefined) throw new CalcError("Unexpected end of expression");
    return parseNumber(token);
  }
}

/** A JSON number when exact enough, else a decimal string rounded to 12 places. */
function render(value: Fraction): Record<string, unknown> {
  if (value.d === 1n) {
    const asNumber = Number(value.n);
    return { result: Number.isSafeInteger(asNumber) ? asNumber : value.n.toString() };
  }
  const scale = 10n ** 12n;
  const negative = value.n < 0n;
  const abs = negative ? -value.n : value.n;
  const scaled = (abs * scale + value.d / 2n) / value.d;
  const whole = scaled / scale;
  const decimals = (scaled % scale).toString().padStart(12, "0").replace(/0+$/, "");
  const text = `${negative ? "-" : ""}${whole}${decimals ? `.${decimals}` : ""}`;
  const exact = (abs * scale) % value.d === 0n;
  return exact
    ? { result: Number(text) }
    : { result: Number(text), fraction: `${value.n}/${value.d}` };
}

async function readInput(): Promise<Record<string, unknown>> {
  const text = (await new Response(Deno.stdin.readable).text()).trim();
  if (text === "") return {};
  const value = JSON.parse(text);
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
}

try {
  const input = await readInput();
  const source = typeof input.expression === "string"
    ? input.expression
    : typeof input.description === "string"
    ? input.description
    : "";
  const expression = extractExpression(source);
  console.log(JSON.stringify({ ...render(new Parser(expression).parse()), expression }));
} catch (err) {
  const message = err instanceof CalcError || err instanceof SyntaxError
    ? err.message
    : String(err);
  console.log(JSON.stringify({ error: message }));
  Deno.exit(1);
}
