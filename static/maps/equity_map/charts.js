/* Charts and headline figures for the shown run: equity cards, bar charts (Chart.js) and the same
 * figures as tables. */

import {getJSON} from "./api.js";
import {urls} from "./config.js";
import {$, el} from "./dom.js";
import {number, percent} from "./format.js";
import {view} from "./view.js";

const charts = {};

function barChart(canvasId, label) {
  return new Chart($(canvasId), {
    type: "bar",
    data: {labels: [], datasets: [{label: label, data: [], backgroundColor: "#31688e"}]},
    options: {animation: false, responsive: true, maintainAspectRatio: false, plugins: {legend: {display: false}},
              scales: {y: {beginAtZero: true}}},
  });
}

function setChart(key, canvasId, label, labels, data) {
  if (typeof Chart === "undefined") return;
  charts[key] = charts[key] || barChart(canvasId, label);
  const chart = charts[key];
  chart.data.labels = labels;
  chart.data.datasets[0].data = data;
  chart.update();
}

function chartTable(caption, header, rows) {
  return el("table", {}, el("caption", {}, caption),
    el("thead", {}, el("tr", {}, header.map((h) => el("th", {scope: "col"}, h)))),
    el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, cell))))));
}

export async function loadCharts() {
  if (!view.runId) return;
  const data = await getJSON(`${urls.runs}${view.runId}/charts/`);
  const c = data.cards;
  const card = (label, value, note, name) => el("div", {class: "card", dataset: {card: name}},
    el("div", {class: "card-value"}, value), el("div", {class: "card-label"}, label), note ? el("div", {class: "card-note"}, note) : null);
  $("equity-cards").replaceChildren(
    card("Mean expected menu", `${number(c.mean_expected_menu, 1)} of ${c.n_options}`,
         `without a car ${number(c.mean_menu_without_car, 1)}, with a car ${number(c.mean_menu_with_car, 1)}`, "mean"),
    card("People with the whole menu without a car", percent(c.full_menu_share_without_car), null, "full_menu"),
    card("Gini of expected menu", number(c.gini_expected_menu, 3), "0 = everyone the same", "gini"),
    card("Worst-served fifth vs best-served fifth", `${number(c.worst_fifth_expected_menu, 1)} vs ${number(c.best_fifth_expected_menu, 1)}`,
         c.best_to_worst_fifth_ratio ? `ratio ${number(c.best_to_worst_fifth_ratio, 2)}` : null, "fifths"),
    card("People", number(c.population, 0), `in ${number(c.n_localities, 0)} localities`, "people"),
  );
  $("distribution-caption").textContent = `People by expected menu (whole options); Gini ${number(c.gini_expected_menu, 3)}`;
  setChart("rurality", "chart-rurality", "Mean expected menu", data.by_rurality.map((g) => g.key),
           data.by_rurality.map((g) => g.mean_expected_menu));
  setChart("imd", "chart-imd", "Mean expected menu", data.by_imd_decile.map((g) => String(g.key)),
           data.by_imd_decile.map((g) => g.mean_expected_menu));
  setChart("distribution", "chart-distribution", "People", data.distribution.map((b) => String(b.menu)),
           data.distribution.map((b) => b.people));
  $("chart-tables").replaceChildren(
    chartTable("Mean expected menu by rurality class", ["Class", "People", "Mean expected menu"],
               data.by_rurality.map((g) => [g.label, number(g.population, 0), number(g.mean_expected_menu, 2)])),
    chartTable("Mean expected menu by IMD decile", ["Decile", "People", "Mean expected menu"],
               data.by_imd_decile.map((g) => [g.key, number(g.population, 0), number(g.mean_expected_menu, 2)])),
    chartTable("People by expected menu", ["Expected menu (at least)", "People"],
               data.distribution.map((b) => [b.menu, number(b.people, 0)])));
}
