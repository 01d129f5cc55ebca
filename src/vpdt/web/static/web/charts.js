// The dashboard's charts (issue 14): figures fetched as JSON from the container's data-src, drawn
// with Chart.js (vendor/chartjs, served locally). No inline script or style: the site's CSP allows none.
// Each chart is a <figure> with its title and a table of its figures for screen readers.
(function () {
  "use strict";
  const palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997"];

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function dataTable(chart) {
    // Hidden by its wrapper: a <table> does not shrink to .visually-hidden's 1 px and widened the page.
    const wrapper = element("div", "visually-hidden");
    const table = element("table");
    wrapper.appendChild(table);
    const head = table.createTHead().insertRow();
    head.appendChild(element("th", "", chart.axis || ""));
    for (const set of chart.datasets) head.appendChild(element("th", "", set.label));
    const body = table.createTBody();
    chart.labels.forEach(function (label, i) {
      const row = body.insertRow();
      row.appendChild(element("th", "", label));
      for (const set of chart.datasets) {
        const value = set.data[i];
        row.appendChild(element("td", "", value === null ? "–" : value + (chart.unit || "")));
      }
    });
    return wrapper;
  }

  function draw(container, chart) {
    const column = element("div", chart.wide ? "col-12" : "col-12 col-lg-6");
    const figure = element("figure", "card chart-card mb-0");
    const body = element("div", "card-body");
    body.appendChild(element("figcaption", "h6", chart.title));
    const box = element("div", chart.horizontal ? "chart-box chart-box-tall" : "chart-box");
    const canvas = element("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", chart.title);
    canvas.dataset.chart = chart.id;
    box.appendChild(canvas);
    body.appendChild(box);
    body.appendChild(dataTable(chart));
    figure.appendChild(body);
    column.appendChild(figure);
    container.appendChild(column);
    const percent = chart.unit === "%";
    /* global Chart */
    new Chart(canvas, {
      type: chart.type,
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (set, i) {
          return {label: set.label, data: set.data, backgroundColor: palette[i % palette.length],
                  borderColor: palette[i % palette.length], spanGaps: true, tension: 0.2};
        }),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: chart.horizontal ? "y" : "x",
        scales: {[chart.horizontal ? "x" : "y"]: {beginAtZero: true, max: percent ? 100 : undefined,
          ticks: {callback: function (value) { return value + (chart.unit || ""); }}}},
        plugins: {legend: {position: "bottom"}},
      },
    });
    canvas.dataset.rendered = "true";
  }

  function load(container) {
    const loading = container.querySelector("[data-charts-loading]");
    fetch(container.dataset.src, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (figures) {
        if (loading) loading.remove();
        for (const chart of figures.charts) draw(container, chart);
        container.dataset.rendered = "true";
      })
      .catch(function () {
        if (loading) loading.textContent = container.dataset.error;
        container.dataset.rendered = "failed";  // the room kept for the charts is given back
      });
  }

  function start() {
    if (typeof Chart === "undefined") return;
    for (const container of document.querySelectorAll("[data-charts]")) load(container);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
