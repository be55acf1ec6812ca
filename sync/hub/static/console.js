/* The console's only script: draws the charts from data-chart (JSON) with uPlot. */
(function () {
  "use strict";
  function draw(el) {
    var data;
    try { data = JSON.parse(el.dataset.chart); } catch (e) { return; }
    if (!data.x || !data.x.length || typeof uPlot === "undefined") { return; }
    var xs = data.x.map(function (d) { return Date.parse(d + "T12:00:00Z") / 1000; });
    var opts = {
      width: Math.min(880, el.clientWidth || 880), height: 260,
      series: [{}, { label: el.dataset.label || "", stroke: "#4a78c2", width: 2,
                     fill: "rgba(74,120,194,0.12)" }],
      axes: [{}, { size: 70 }],
      scales: { x: { time: true } }
    };
    el.classList.add("drawn");
    new uPlot(opts, [xs, data.y], el);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
}());
