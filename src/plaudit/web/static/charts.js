// Draws every <figure data-chart> with ECharts from the JSON in its <script type="application/json">;
// the <table> beside it stays as the fallback without JavaScript and for screen readers.
for (const figure of document.querySelectorAll("figure[data-chart]")) {
  const spec = JSON.parse(figure.querySelector("script[type='application/json']").textContent);
  const box = figure.querySelector(".chart");
  box.hidden = false;
  if (figure.dataset.chart === "heatmap" && spec.y.length > 20) {  // one readable row each
    box.style.height = `${spec.y.length * 12 + 80}px`;
  }
  const chart = echarts.init(box, null, { renderer: "svg" });
  const base = { animation: false, tooltip: {}, grid: { containLabel: true, left: 8, right: 8 } };
  if (figure.dataset.chart === "heatmap") {
    chart.setOption({ ...base,
      xAxis: { type: "category", data: spec.x }, yAxis: { type: "category", data: spec.y },
      visualMap: { min: 0, max: Math.max(1, ...spec.values.map((v) => v[2])), show: false },
      series: [{ type: "heatmap", data: spec.values }] });
  } else {
    chart.setOption({ ...base,
      xAxis: { type: "category", data: spec.x, axisLabel: { interval: 0, rotate: spec.x.length > 8 ? 40 : 0 } },
      yAxis: { type: "value" },
      series: [{ type: figure.dataset.chart, data: spec.values, name: spec.name }] });
  }
  box.setAttribute("aria-hidden", "true");
  figure.querySelector("details").open = false;
}
