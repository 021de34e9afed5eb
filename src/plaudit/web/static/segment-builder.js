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
