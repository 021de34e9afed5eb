import { b64, resultLine, verifyConsistency, verifyNote, witnessCheck, witnessLabel } from "./ledger.js";

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
    const newer = await text(`/v1/ledger/checkpoints/${second}`);
    const b = await verifyNote(newer, vkey);
    const proof = await (await fetch(`/v1/ledger/proof/consistency?old=${first}&size=${second}`)).json();
    const consistent = await verifyConsistency(first, second, a.checkpoint.root, b.checkpoint.root, proof.hashes.map(b64));
    // the witnesses vouch for the newer checkpoint: the one a split view would fork
    const witnessed = await witnessCheck(form, newer);
    const rows = [[says.signatures, a.ok && b.ok], [says.consistent, consistent]];
    if (witnessed) rows.push([witnessLabel(says.witnessed, witnessed), witnessed.ok]);
    const all = rows.every(([, ok]) => ok);
    out.dataset.verdict = all ? "valid" : "invalid";
    out.replaceChildren(...rows.map(([label, ok]) => resultLine(label, ok)));
  } catch (error) {
    out.dataset.verdict = "invalid";
    out.replaceChildren(resultLine(`${says.invalid}: ${error.message}`, false));
  }
});
