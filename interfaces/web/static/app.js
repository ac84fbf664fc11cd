// Draws each dashboard chart from the ECharts option the server put beside it.
(function () {
  if (typeof echarts === "undefined") return;
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.id + "-option");
    if (!source) return;
    var chart = echarts.init(element, null, { renderer: "canvas" });
    var option = JSON.parse(source.textContent);
    if (option.tooltip && option.tooltip.tip) {  // each point says itself: its "tip"
      delete option.tooltip.tip;
      option.tooltip.formatter = function (params) {
        var point = Array.isArray(params) ? params[0] : params;
        var tip = point && point.data && point.data.tip;
        return tip ? echarts.format.encodeHTML(tip) : "";
      };
    }
    chart.setOption(option);
    element.setAttribute("data-rendered", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
