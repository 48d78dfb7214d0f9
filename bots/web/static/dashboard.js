/* Draws the dashboard's charts with the vendored Chart.js from the figures the page carries as JSON. */
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("charts").textContent);
  var palette = ["#0b3d6b", "#f2a900", "#2e8540", "#c0392b", "#7d3c98", "#16a085", "#7f8c8d", "#d35400"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = specs[Number(canvas.dataset.chart)];
    var datasets = spec.series.map(function (s, i) {
      var color = palette[i % palette.length];
      return {label: s.label, data: s.data, backgroundColor: color, borderColor: color, fill: false,
              yAxisID: s.axis || "y", tension: 0.2, spanGaps: false};
    });
    var scales = {y: {beginAtZero: true}};
    if (spec.series.some(function (s) { return s.axis === "y1"; })) {
      scales.y1 = {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}};
    }
    new Chart(canvas, {type: spec.type, data: {labels: spec.labels, datasets: datasets},
                       options: {responsive: true, animation: false, scales: scales,
                                 indexAxis: spec.horizontal ? "y" : "x",
                                 plugins: {legend: {display: spec.series.length > 1}}}});
  });
})();
