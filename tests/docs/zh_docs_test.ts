import { strict as assert } from "node:assert";

const root = new URL("../../", import.meta.url);

/**
 * Each English doc and its Chinese version. The English is the reference; the Chinese must keep
 * its structure (headings, code blocks, tables, inline code, links). `keepColumns` names table
 * columns whose cells stay in English word for word (0-based: table, column), such as test names.
 */
const PAIRS: readonly {
  en: string;
  zh: string;
  keepColumns?: { table: number; column: number }[];
}[] = [
  { en: "docs/skill-sync.md", zh: "docs/zh/skill-sync.md", keepColumns: [{ table: 0, column: 4 }] },
  // The deployment guide; tests/docs/deploy_doc_test.ts checks its checklist and commands.
  { en: "docs/deploy.en.md", zh: "docs/deploy.zh.md" },
  // The end-to-end tutorial; tests/e2e/tutorial_test.ts runs its commands and checks outputs.
  { en: "docs/tutorial.en.md", zh: "docs/tutorial.zh.md" },
];

interface Markdown {
  /** The level of every heading, in order (1 for `#`, 2 for `##`, …). */
  headings: { level: number; text: string }[];
  /** Every fenced code block, in order: its info string and its lines, less the fence's indent. */
  codeBlocks: string[];
  /** Every table, in order: its rows (the delimiter row included), each a list of trimmed cells. */
  tables: string[][][];
  /** The content of every inline code span outside code blocks. */
  inlineCode: Set<string>;
  /** The target of every inline link outside code blocks and code spans, as written. */
  links: string[];
}

/** The cells of a table row: split on unescaped `|`, outer pipes dropped, trimmed. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "");
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

/** The spans of `text` between matching backtick runs (CommonMark code spans), in order. */
function codeSpans(text: string): { start: number; end: number; content: string }[] {
  const spans: { start: number; end: number; content: string }[] = [];
  const runs = [...text.matchAll(/`+/g)];
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i];
    // A backslash escapes an opening backtick; inside a span it is a plain character.
    if (text[open.index - 1] === "\\") continue;
    const close = runs.findIndex((run, j) => j > i && run[0].length === open[0].length);
    if (close === -1) continue;
    const from = open.index + open[0].length;
    let content = text.slice(from, runs[close].index).replace(/\n/g, " ");
    if (/^ .*[^ ].* $/s.test(content)) content = content.slice(1, -1);
    spans.push({ start: open.index, end: runs[close].index + open[0].length, content });
    i = close;
  }
  return spans;
}

function parse(text: string): Markdown {
  const doc: Markdown = {
    headings: [],
    codeBlocks: [],
    tables: [],
    inlineCode: new Set(),
    links: [],
  };
  const prose: string[] = [];
  let fence: { indent: number; marker: string; lines: string[] } | undefined;
  let table: string[][] | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (fence) {
      const close = /^ *(`{3,}|~{3,}) *$/.exec(line);
      if (close && close[1][0] === fence.marker[0] && close[1].length >= fence.marker.length) {
        doc.codeBlocks.push(fence.lines.join("\n"));
        fence = undefined;
      } else {
        const indent = /^ */.exec(line)![0].length;
        fence.lines.push(line.slice(Math.min(indent, fence.indent)));
      }
      continue;
    }
    const open = /^( *)(`{3,}|~{3,})(.*)$/.exec(line);
    if (open) {
      fence = { indent: open[1].length, marker: open[2], lines: [open[3].trim()] };
      table = undefined;
      prose.push("");
      continue;
    }
    prose.push(line);
    if (/^\s*\|/.test(line)) {
      if (!table) doc.tables.push(table = []);
      table.push(cells(line));
    } else {
      table = undefined;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) doc.headings.push({ level: heading[1].length, text: heading[2] });
  }
  assert.equal(fence, undefined, "a code block is not closed");
  let rest = "";
  let last = 0;
  const proseText = prose.join("\n");
  for (const span of codeSpans(proseText)) {
    doc.inlineCode.add(span.content);
    rest += proseText.slice(last, span.start) + " ";
    last = span.end;
  }
  rest += proseText.slice(last);
  doc.links = [...rest.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  return doc;
}

/** A cell made of one inline code span and nothing else, such as `` `rollback` ``. */
function isInlineCode(cell: string): boolean {
  const spans = codeSpans(cell);
  return spans.length === 1 && spans[0].start === 0 && spans[0].end === cell.length;
}

/** A relative link target resolved against the doc that holds it (`docs/x.md#a`), else as is. */
function resolve(target: string, from: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) return target;
  const url = new URL(target, new URL(from, root));
  return decodeURIComponent(url.pathname.slice(root.pathname.length)) + url.hash;
}

for (const { en, zh, keepColumns = [] } of PAIRS) {
  const english = parse(await Deno.readTextFile(new URL(en, root)));
  const chinese = parse(await Deno.readTextFile(new URL(zh, root)));

  Deno.test(`${zh} keeps the headings of ${en}`, () => {
    assert.ok(english.headings.length > 0, `no headings found in ${en}`);
    const levels = (doc: Markdown) => doc.headings.map((h) => "#".repeat(h.level));
    const count = (doc: Markdown, level: number) => doc.headings.filter((h) => h.level === level);
    for (const level of [1, 2, 3, 4, 5, 6]) {
      assert.equal(
        count(chinese, level).length,
        count(english, level).length,
        `${"#".repeat(level)} headings: ${en} has ${
          JSON.stringify(count(english, level).map((h) => h.text))
        }`,
      );
    }
    assert.deepEqual(levels(chinese), levels(english), "the order of heading levels");
  });

  Deno.test(`${zh} keeps the code blocks of ${en}`, () => {
    assert.equal(chinese.codeBlocks.length, english.codeBlocks.length, "number of code blocks");
    english.codeBlocks.forEach((block, i) => {
      assert.equal(chinese.codeBlocks[i], block, `code block ${i + 1} of ${en}`);
    });
  });

  Deno.test(`${zh} keeps the tables of ${en}`, () => {
    assert.equal(chinese.tables.length, english.tables.length, "number of tables");
    english.tables.forEach((table, t) => {
      const other = chinese.tables[t];
      const where = `table ${t + 1} of ${en} (header: ${table[0].join(" | ")})`;
      assert.equal(other.length, table.length, `rows of ${where}`);
      table.forEach((row, r) => {
        assert.equal(other[r].length, row.length, `columns of row ${r + 1} of ${where}`);
        row.forEach((cell, c) => {
          // Rows 1 and 2 are the header (translated) and the delimiter row.
          const kept = r > 1 && keepColumns.some((k) => k.table === t && k.column === c);
          if (kept || isInlineCode(cell) || isInlineCode(other[r][c])) {
            assert.equal(other[r][c], cell, `row ${r + 1}, column ${c + 1} of ${where}`);
          }
        });
      });
    });
  });

  Deno.test(`${zh} keeps the inline code of ${en}`, () => {
    const missing = [...english.inlineCode].filter((code) => !chinese.inlineCode.has(code));
    assert.deepEqual(missing, [], `inline code of ${en} that ${zh} lacks`);
  });

  Deno.test(`${zh} keeps the links of ${en} and names it as its reference`, async () => {
    const targets = new Set(chinese.links.map((link) => resolve(link, zh)));
    const missing = english.links.map((link) => resolve(link, en)).filter((t) => !targets.has(t));
    assert.deepEqual(missing, [], `links of ${en} that ${zh} lacks (resolved from docs/)`);
    assert.ok(targets.has(en), `${zh} links to ${en}, the English it is the version of`);
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
      const file = target.replace(/#.*$/, "");
      const exists = await Deno.stat(new URL(file, root)).then(() => true, () => false);
      assert.ok(exists, `${zh} links to ${file}, which does not exist`);
    }
  });
}
