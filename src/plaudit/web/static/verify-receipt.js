import { parseReceipt, resultLine, verifyReceipt, witnessCheck, witnessLabel } from "./ledger.js";

const form = document.getElementById("verify-form");
const out = document.getElementById("verify-result");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const says = form.dataset;
  try {
    const r = await verifyReceipt(form.receipt.value, form.vkey.value);
    const witnessed = await witnessCheck(form, parseReceipt(form.receipt.value).checkpoint);
    const rows = [
      [says.signature, r.signature], [says.included, r.included], [says.mine, r.mine],
    ];
    if (witnessed) rows.push([witnessLabel(says.witnessed, witnessed), witnessed.ok]);
    out.replaceChildren(...rows.map(([label, ok]) => resultLine(label, ok)));
    const all = rows.every(([, ok]) => ok);
    out.dataset.verdict = all ? "valid" : "invalid";
    out.append(resultLine(`${all ? says.valid : says.invalid} (#${r.index} / ${r.size}, leaf ${r.leaf.slice(0, 16)}…)`, all));
  } catch (error) {
    out.dataset.verdict = "invalid";
    out.replaceChildren(resultLine(`${says.invalid}: ${error.message}`, false));
  }
});
