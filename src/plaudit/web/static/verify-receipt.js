import { verifyReceipt } from "./ledger.js";

const form = document.getElementById("verify-form");
const out = document.getElementById("verify-result");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const says = form.dataset;
  try {
    const r = await verifyReceipt(form.receipt.value, form.vkey.value);
    const rows = [
      [says.signature, r.signature], [says.included, r.included], [says.mine, r.mine],
    ];
    out.replaceChildren(...rows.map(([label, ok]) => {
      const li = document.createElement("li");
      li.className = ok ? "ok" : "bad";
      li.textContent = `${ok ? "✓" : "✗"} ${label}`;
      return li;
    }));
    const all = r.signature && r.included && r.mine;
    out.dataset.verdict = all ? "valid" : "invalid";
    const summary = document.createElement("li");
    summary.className = all ? "ok" : "bad";
    summary.textContent = `${all ? says.valid : says.invalid} (#${r.index} / ${r.size}, leaf ${r.leaf.slice(0, 16)}…)`;
    out.append(summary);
  } catch (error) {
    out.dataset.verdict = "invalid";
    out.replaceChildren(Object.assign(document.createElement("li"), { className: "bad", textContent: `${says.invalid}: ${error.message}` }));
  }
});
