// The interactive view of a chart (Vega-Lite, vendored: static/vendor/): drawn when its
// <details> is first opened, from the spec in the data-spec attribute. The server-side SVG
// stays the chart of record; this script only adds tooltips and zoom-free exploration.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("details.interactive").forEach(function (details) {
    details.addEventListener("toggle", function () {
      var target = details.querySelector(".vega");
      if (!details.open || !target || target.dataset.drawn) return;
      target.dataset.drawn = "1";
      var spec = JSON.parse(target.dataset.spec);
      vegaEmbed(target, spec, {renderer: "svg", actions: false, ast: true, defaultStyle: false})
        .catch(function (error) { target.textContent = "The interactive chart failed: " + error; });
    });
  });
});
