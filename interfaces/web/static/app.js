// Draws each dashboard chart from the ECharts option the server put beside it.
(function () {
  if (typeof echarts === "undefined") return;
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.id + "-option");
    if (!source) return;
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(JSON.parse(source.textContent));
    element.setAttribute("data-rendered", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
