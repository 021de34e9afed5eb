// The segment builder's pickers write conditions into the expression box; htmx then asks
// the server for the new size (the "input" event), as when the brand types.
const box = document.getElementById("expression");
document.getElementById("pick-add").addEventListener("click", () => {
  const parts = [];
  const tiers = [...document.getElementById("pick-tier").selectedOptions].map((o) => o.value);
  if (tiers.length) parts.push(`city_tier in (${tiers.join(", ")})`);
  const from = document.getElementById("pick-age-from").value;
  const to = document.getElementById("pick-age-to").value;
  if (from && to) parts.push(`age in ${from}..${to}`);
  else if (from) parts.push(`age >= ${from}`);
  else if (to) parts.push(`age <= ${to}`);
  const spend = document.getElementById("pick-spend").value;
  if (spend) parts.push(`spend >= ${spend}`);
  const gender = document.getElementById("pick-gender").value;
  if (gender) parts.push(`gender = ${gender}`);
  if (!parts.length) return;
  const current = box.value.trim();
  box.value = [current, ...parts].filter(Boolean).join(" and ");
  box.dispatchEvent(new Event("input", { bubbles: true }));
});

// Completion of tag names and values as the brand types (families, tags, and after
// `family =` or `family in (` that family's values), matched on ids and on the zh and en
// names whatever the page's language. ↑/↓ choose, Enter or Tab insert, Escape closes.
const names = JSON.parse(document.getElementById("tag-names").textContent);
const familyIds = new Set(names.families.map(([id]) => id));
const list = document.getElementById("tag-suggestions");
const counted = document.getElementById("suggestion-count");
const SHOWN = 12;
let found = [];
let active = -1;

function wordsStart(text, query) {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).some((w) => w.startsWith(query));
}

function matches(id, zh, en, token, query) {
  return id.startsWith(query) || (token && zh.includes(token)) || wordsStart(en, query);
}

function caretContext() {
  const before = box.value.slice(0, box.selectionStart);
  const token = before.match(/[\p{L}\p{N}_.]*$/u)[0];
  const head = before.slice(0, before.length - token.length);
  const named = head.match(/([A-Za-z_]+)\s*(?:!=|==|=)\s*$/) ||
    head.match(/([A-Za-z_]+)\s+(?:not\s+)?in\s*\((?:[^()]*,)?\s*$/i);
  const family = named && familyIds.has(named[1].toLowerCase()) ? named[1].toLowerCase() : null;
  return { token, family, start: before.length - token.length };
}

function suggest({ token, family }) {
  const query = token.toLowerCase();
  const out = [];
  if (family) {
    for (const [id, zh, en] of names.tags) {
      const value = id.slice(family.length + 1);
      if (id.startsWith(family + ".") && (!query || matches(value, zh, en, token, query))) {
        out.push({ insert: value, id, zh, en });
      }
    }
  } else if (query && !/^\d/.test(query)) {
    for (const [id, zh, en] of names.families) {
      if (matches(id, zh, en, token, query)) out.push({ insert: id + " ", id, zh, en });
    }
    for (const [id, zh, en] of names.tags) {
      if (matches(id, zh, en, token, query)) out.push({ insert: id, id, zh, en });
    }
  }
  const exact = out.length === 1 && out[0].insert.trim() === token;
  return exact ? [] : out.slice(0, SHOWN);
}

function show() {
  list.replaceChildren(...found.map((s, i) => {
    const option = document.createElement("li");
    option.id = `suggestion-${i}`;
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", String(i === active));
    option.dataset.insert = s.insert;
    const code = document.createElement("code");
    code.textContent = s.id;
    option.append(code, ` ${s.zh} · ${s.en}`);
    option.addEventListener("mousedown", (event) => { event.preventDefault(); accept(i); });
    return option;
  }));
  list.hidden = found.length === 0;
  if (active >= 0) box.setAttribute("aria-activedescendant", `suggestion-${active}`);
  else box.removeAttribute("aria-activedescendant");
  counted.textContent = found.length ? counted.dataset.message.replace("{n}", found.length) : "";
}

function refresh() {
  found = suggest(caretContext());
  active = -1;
  show();
}

function accept(i) {
  const { start } = caretContext();
  const end = box.selectionStart;
  const text = found[i].insert;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  box.selectionStart = box.selectionEnd = start + text.length;
  found = [];
  active = -1;
  show();
  box.focus();
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

box.addEventListener("input", (event) => { if (event.isTrusted) refresh(); });
box.addEventListener("click", refresh);
box.addEventListener("blur", () => { found = []; active = -1; show(); });
box.addEventListener("keydown", (event) => {
  if (!found.length) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const step = event.key === "ArrowDown" ? 1 : found.length - 1;
    active = active < 0 ? (step === 1 ? 0 : found.length - 1) : (active + step) % found.length;
    show();
    event.preventDefault();
  } else if ((event.key === "Enter" && active >= 0) || event.key === "Tab") {
    accept(active >= 0 ? active : 0);
    event.preventDefault();
  } else if (event.key === "Escape") {
    found = [];
    active = -1;
    show();
    event.preventDefault();
  }
});
