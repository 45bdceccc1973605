// Syntax highlighting for the expression box: a PromQL tokenizer that
// never fails (anything it does not know stays plain text) and a <pre>
// drawn under the transparent-text textarea, kept in step with it.

import { h } from "./util.js";
import { FUNCTIONS, AGGREGATIONS, KEYWORDS } from "./complete.js";

const FN = new Set(FUNCTIONS);
const AGG = new Set(AGGREGATIONS);
const KW = new Set(KEYWORDS);
const NUMBER_WORDS = new Set(["inf", "nan"]);
// Keywords followed by a parenthesised list of label names.
const LABEL_LISTS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+/;
const NUMBER = /^(0x[0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/;
const IDENT = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const OPERATORS = ["=~", "!~", "!=", "==", "<=", ">=", "+", "-", "*", "/", "%", "^", "<", ">", "=", "@"];

/** Splits `text` into `[kind, piece]` tokens; kinds are `fn`, `agg`,
 * `kw`, `metric`, `label`, `str`, `num`, `op`, `punct`, `comment` and
 * `""` (plain). The pieces joined give `text` back exactly. */
export function tokens(text) {
  const out = [];
  let i = 0;
  let braces = 0;
  let listNext = false; // a label list may open here
  let inList = false; // inside `by (…)` and the like
  const push = (kind, piece) => out.push([kind, piece]);
  while (i < text.length) {
    const rest = text.slice(i);
    const c = text[i];
    let m;
    if (/\s/.test(c)) {
      m = /^\s+/.exec(rest);
      push("", m[0]);
    } else if (c === "#") {
      const end = rest.indexOf("\n");
      push("comment", end < 0 ? rest : rest.slice(0, end));
    } else if (c === '"' || c === "'" || c === "`") {
      let j = 1;
      while (j < rest.length && rest[j] !== c) j += c !== "`" && rest[j] === "\\" ? 2 : 1;
      push("str", rest.slice(0, Math.min(j + 1, rest.length)));
    } else if ((m = DURATION.exec(rest)) || (m = NUMBER.exec(rest))) {
      push("num", m[0]);
    } else if ((m = IDENT.exec(rest))) {
      const word = m[0];
      const next = rest.slice(word.length).trimStart()[0];
      const lower = word.toLowerCase();
      let kind = "metric";
      if (braces > 0 || inList) kind = "label";
      else if (FN.has(word) && next === "(") kind = "fn";
      else if (AGG.has(lower)) kind = "agg";
      else if (KW.has(lower)) kind = "kw";
      else if (NUMBER_WORDS.has(lower)) kind = "num";
      else if ((word === "start" || word === "end") && next === "(") kind = "fn";
      push(kind, word);
      listNext = kind === "kw" && LABEL_LISTS.has(lower);
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o));
      if (op) {
        push("op", op);
      } else {
        if (c === "{") braces++;
        if (c === "}") braces = Math.max(0, braces - 1);
        if (c === "(" && listNext) inList = true;
        if (c === ")") inList = false;
        listNext = false;
        push("punct", c);
      }
    }
    i += out[out.length - 1][1].length;
  }
  return out;
}

/** Puts a highlighted copy of `textarea`'s text under it; returns the
 * <pre> to insert before the textarea in a `position: relative` box and
 * `paint`, to call after setting the value from code. */
export function attachHighlight(textarea) {
  const pre = h("pre", { class: "expr-hl", "aria-hidden": "true" });
  const paint = () => {
    pre.replaceChildren(...tokens(textarea.value).map(([kind, piece]) =>
      kind ? h("span", { class: "hl-" + kind, text: piece }) : document.createTextNode(piece)));
    // A trailing newline needs a character after it to take up a line.
    pre.append("\u200b");
    pre.scrollTop = textarea.scrollTop;
  };
  textarea.classList.add("highlighted");
  textarea.addEventListener("input", paint);
  textarea.addEventListener("scroll", () => { pre.scrollTop = textarea.scrollTop; });
  // Completion sets the value without an input event of its own.
  textarea.addEventListener("keyup", paint);
  textarea.addEventListener("change", paint);
  paint();
  return { pre, paint };
}
