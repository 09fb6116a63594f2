// Panel's Plotly view resizes its chart through a throttled call (25 ms). When a tab or a
// period change removes the view in that window, the view purges the chart first and the
// late call then relayouts a chart that no longer exists: "Cannot read properties of
// undefined (reading '_guiEditing')" in the console, nothing else. A relayout of a purged
// (or never drawn) chart is made a no-op here; every other call goes to Plotly unchanged.
(function guardPlotlyRelayout() {
  const plotly = window.Plotly;
  if (!plotly || !plotly.relayout) {
    setTimeout(guardPlotlyRelayout, 50);  // Panel loads Plotly with its own bundles
    return;
  }
  if (plotly.__biolakeGuarded) return;
  const relayout = plotly.relayout;
  plotly.relayout = function (gd, ...rest) {
    const el = typeof gd === "string" ? document.getElementById(gd) : gd;
    if (el && el._fullLayout === undefined) return Promise.resolve(el);
    return relayout.call(this, gd, ...rest);
  };
  plotly.__biolakeGuarded = true;
})();
