import { b64, verifyConsistency, verifyNote } from "./ledger.js";

const form = document.getElementById("consistency-form");
const out = document.getElementById("consistency-result");

async function text(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const says = form.dataset;
  const first = Number(form.old.value), second = Number(form.size.value);
  try {
    const vkey = form.vkey.value;
    const a = await verifyNote(await text(`/v1/ledger/checkpoints/${first}`), vkey);
    const b = await verifyNote(await text(`/v1/ledger/checkpoints/${second}`), vkey);
    const proof = await (await fetch(`/v1/ledger/proof/consistency?old=${first}&size=${second}`)).json();
    const consistent = await verifyConsistency(first, second, a.checkpoint.root, b.checkpoint.root, proof.hashes.map(b64));
    const all = a.ok && b.ok && consistent;
    out.dataset.verdict = all ? "valid" : "invalid";
    out.replaceChildren(...[[says.signatures, a.ok && b.ok], [says.consistent, consistent]].map(([label, ok]) =>
      Object.assign(document.createElement("li"), { className: ok ? "ok" : "bad", textContent: `${ok ? "✓" : "✗"} ${label}` })));
  } catch (error) {
    out.dataset.verdict = "invalid";
    out.replaceChildren(Object.assign(document.createElement("li"), { className: "bad", textContent: `${says.invalid}: ${error.message}` }));
  }
});
