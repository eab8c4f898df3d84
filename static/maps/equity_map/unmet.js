/* Unmet preference: careplans' disclosure-controlled figures, as a map layer and a panel section,
 * for those who may see them (config.unmet).
 *
 * One request (config.unmet.url) brings the whole protected publication; the layer and the panel
 * both read it, whatever option is chosen. Suppressed counts arrive as null and are always shown as
 * suppressed, never as 0; pooled localities are marked as pooled, never given the pool's count.
 */

import {getJSON} from "./api.js";
import {choroplethCanvas} from "./choropleth_canvas.js";
import {config, measureInfo} from "./config.js";
import {el} from "./dom.js";
import {number} from "./format.js";
import {addCanvas, latlngsFor} from "./geometry.js";
import {view} from "./view.js";

/** The layer: its canvas and legend, the publication once loaded, and what it marks. Null until initUnmet. */
let layer = null;
export const unmetLayer = () => layer;

const SUPPRESSED_NOTE = "Suppressed: a count of 1 to 7 people, or a cell hidden so that such a count "
  + "cannot be worked out from the totals (it may then hold any number).";

function hatchTile(colour, {spacing = 8, width = 2, cross = false, dots = false} = {}) {
  const tile = document.createElement("canvas");
  tile.width = tile.height = spacing;
  const ctx = tile.getContext("2d");
  if (dots) {
    ctx.fillStyle = "#ffffff";
    ctx.beginPath(); ctx.arc(spacing / 2, spacing / 2, width + 1, 0, 2 * Math.PI); ctx.fill();
    ctx.fillStyle = colour;
    ctx.beginPath(); ctx.arc(spacing / 2, spacing / 2, width, 0, 2 * Math.PI); ctx.fill();
    return tile;
  }
  const diagonals = (flip) => {
    ctx.beginPath();
    for (const shift of [-spacing, 0, spacing]) {  // the neighbours' lines, so the tile repeats seamlessly
      const y = (x) => flip ? x + shift : spacing - x + shift;
      ctx.moveTo(-1, y(-1)); ctx.lineTo(spacing + 1, y(spacing + 1));
    }
    ctx.stroke();
  };
  for (const [stroke, lineWidth] of [["#ffffff", width + 2], [colour, width]]) {  // a white halo on any fill
    ctx.strokeStyle = stroke;
    ctx.lineWidth = lineWidth;
    diagonals(false);
    if (cross) diagonals(true);
  }
  return tile;
}

/** Fill styles by category: legend classes ("class-<i>"), "suppressed" and "pooled". */
function unmetStyles(legend) {
  const tiles = {
    suppressed: hatchTile("#555555", {spacing: 9, width: 1, cross: true}),
    pooled: hatchTile("#555555", {spacing: 7, width: 1, dots: true}),
  };
  const spacings = [14, 10, 8, 6, 5];
  legend.classes.forEach((item, i) => {
    tiles[`class-${i}`] = i === 0 ? null  // 0: outlined, not hatched
      : hatchTile(item.colour, {spacing: spacings[Math.min(i, spacings.length - 1)], width: 2});
  });
  const scratch = document.createElement("canvas").getContext("2d");
  const styles = {};
  for (const [key, tile] of Object.entries(tiles)) {
    styles[key] = {fill: tile ? scratch.createPattern(tile, "repeat") : "rgba(0, 0, 0, 0)",
                   swatch: tile ? `background-image:url(${tile.toDataURL()})` : "background:transparent"};
  }
  return styles;
}

function loadUnmet() {
  const unmet = layer;
  unmet.request = unmet.request || getJSON(config.unmet.url).then((data) => { unmet.data = data; return data; })
    .catch((err) => { unmet.request = null; throw err; });
  return unmet.request;
}

/** The option the layer shows: the option selector's, when the measure uses one; else all options. */
function unmetOptionKey() {
  return measureInfo(view.measure).per_option && view.option ? view.option : "ALL";
}

function unmetLegendFor(key) {
  const legends = layer.data.legends;
  // An option nobody has preferred is absent from the publication: every count for it is 0.
  return legends[key] || {kind: "count", classes: [legends.ALL.classes[0]]};
}

function drawUnmet() {
  const unmet = layer;
  const data = unmet.data;
  if (!data) return;
  const key = unmetOptionKey();
  const legend = unmetLegendFor(key);
  const styles = unmetStyles(legend);
  const measure = data.measure;
  const marked = new Map();  // locality id → {category, value}
  for (const loc of data.publication.localities) {
    const id = data.locality_ids[loc.code];
    if (id === undefined) continue;  // OTHER, the pool, has no shape of its own
    const cell = loc.options[key];
    const value = cell ? cell[measure] : 0;
    let category = "suppressed";
    if (value !== null) legend.classes.forEach((item, i) => { if (value >= item.min) category = `class-${i}`; });
    marked.set(id, {category: category, value: value});
  }
  for (const loc of data.publication.pooled_localities) {
    const id = data.locality_ids[loc.code];
    if (id !== undefined) marked.set(id, {category: "pooled", value: null});
  }
  const shapes = unmet.canvas;
  for (const id of shapes.ids()) if (!marked.has(id)) shapes.removeFeature(id);
  for (const [id, item] of marked) {
    const latlngs = latlngsFor(id);
    if (latlngs) shapes.setFeature(id, latlngs, styles[item.category].fill);
  }
  unmet.marked = marked;
  unmet.shownKey = key;
  renderUnmetLegend(key, legend, styles);
}

function renderUnmetLegend(key, legend, styles) {
  const box = layer.legend.getContainer();
  const data = layer.data;
  const option = data.publication.options.find((o) => o.code === key)
    || (view.run && view.run.options || []).find((o) => o.code === key);
  const swatch = (style, extra) => el("span", {class: `swatch unmet-swatch ${extra || ""}`, style: style});
  box.replaceChildren(...[
    el("h3", {}, "Unmet preference"),
    el("p", {}, "People who could not reach their preferred option without a car: ",
       el("strong", {dataset: {unmetOption: key}}, key === "ALL" ? "all options" : (option ? option.name : key))),
    data.legends[key] ? null : el("p", {}, "Nobody has preferred this option."),
    el("ul", {},
      legend.classes.map((item, i) => el("li", {dataset: {unmetCategory: `class-${i}`}},
                                          swatch(styles[`class-${i}`].swatch, i === 0 ? "outlined" : ""), item.label)),
      el("li", {dataset: {unmetCategory: "suppressed"}}, swatch(styles.suppressed.swatch),
         el("span", {title: SUPPRESSED_NOTE}, "Fewer than 8 / suppressed")),
      el("li", {dataset: {unmetCategory: "pooled"}}, swatch(styles.pooled.swatch),
         "Pooled with other small localities"),
      el("li", {dataset: {unmetCategory: "none"}}, swatch("background:transparent", "none"),
         "No records: not marked")),
    el("p", {class: "help"}, "Latest choice per person; counts rounded to the nearest 5."),
  ].filter(Boolean));
}

async function showUnmetLayer() {
  layer.legend.addTo(view.map);
  const box = layer.legend.getContainer();
  if (!layer.data) box.replaceChildren(el("h3", {}, "Unmet preference"), el("p", {}, "Loading…"));
  try {
    await loadUnmet();
  } catch (err) {
    box.replaceChildren(el("h3", {}, "Unmet preference"), el("p", {class: "error"}, err.message));
    return;
  }
  if (view.map.hasLayer(layer.canvas)) drawUnmet();
}

function hideUnmetLayer() {
  layer.legend.remove();
}

/** Redraw the layer when the measure or option it follows has changed. */
export function optionChanged() {
  if (layer && layer.data && layer.shownKey !== unmetOptionKey()) drawUnmet();
}

export function initUnmet(map, layersControl) {
  if (!config.unmet) return;
  map.createPane("unmet");
  const pane = map.getPane("unmet");
  pane.style.zIndex = 450;          // above the choropleth, below markers and popups
  pane.style.pointerEvents = "none";  // clicks reach the choropleth beneath
  const canvas = choroplethCanvas({pane: "unmet", padding: 0.3, fillOpacity: 1, outline: "#333333",
                                   outlineMinZoom: 0});
  const legend = L.control({position: "bottomleft"});
  legend.onAdd = () => el("div", {class: "map-legend unmet-legend", "aria-live": "polite"});
  layer = {canvas: canvas, legend: legend, request: null, data: null, marked: new Map(), shownKey: null};
  canvas.on("add", showUnmetLayer);
  canvas.on("remove", hideUnmetLayer);
  addCanvas(canvas);
  layersControl.addOverlay(canvas, "Unmet preference");
}

// ---- the panel's unmet-preference section ---------------------------------------------------------

const unmetCount = (value) => value === null
  ? el("span", {class: "suppressed", title: SUPPRESSED_NOTE}, "suppressed")
  : number(value, 0);

function unmetTable(data, cells, caption) {
  const labels = Object.fromEntries(data.publication.measures.map((m) => [m.code, m.label]));
  const reasons = data.publication.measures.map((m) => m.code).filter((code) => code.startsWith("reason_"));
  const cellTd = (cell, measure) => el("td", {class: "num", dataset: {measure: measure,
                                                                       value: cell[measure] ?? "suppressed"}},
                                       unmetCount(cell[measure]));
  const rows = [["ALL", "All options"], ...data.publication.options.map((o) => [o.code, o.name])]
    .filter(([code]) => cells[code] && (code === "ALL" || cells[code].preferred !== 0));
  return el("table", {class: "options unmet"},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {},
      el("th", {scope: "col"}, "Option"), el("th", {scope: "col"}, "Preferred it"),
      el("th", {scope: "col"}, "Could not reach it without a car"), el("th", {scope: "col"}, "Agreed another option"))),
    rows.map(([code, name]) => {
      const cell = cells[code];
      const because = reasons.filter((reason) => cell[reason] !== 0);
      return el("tbody", {dataset: {unmetOption: code}},
        el("tr", {},
          el("th", {scope: "row"}, name), cellTd(cell, "preferred"), cellTd(cell, "not_reachable"),
          cellTd(cell, "agreed_different")),
        cell.agreed_different === 0 ? null : el("tr", {class: "reasons"}, el("td", {colspan: 4},
          "Agreed another because: ",
          because.length ? because.map((reason, i) => el("span", {dataset: {measure: reason,
                                                                              value: cell[reason] ?? "suppressed"}},
            i ? "; " : "", labels[reason].replace(/^…\s*because:\s*/, ""), " ", unmetCount(cell[reason])))
            : "no reason counted")));
    }));
}

function unmetSectionBody(data, code) {
  const publication = data.publication;
  const shown = publication.localities.find((loc) => loc.code === code);
  if (shown) return [el("p", {dataset: {unmetStatus: "shown"}}, "People living here, by their latest recorded choice."),
                     unmetTable(data, shown.options, "Per option")];
  if (publication.pooled_localities.some((loc) => loc.code === code)) {
    const pool = publication.localities.find((loc) => loc.code === "OTHER");
    return [el("p", {dataset: {unmetStatus: "pooled"}}, "Pooled with other small localities: too few people ",
               "living here have a recorded choice to show on their own, so they are counted in the pool below."),
            pool ? unmetTable(data, pool.options, pool.name) : null];
  }
  return [el("p", {dataset: {unmetStatus: "none"}}, "No records: no care-plan choice is recorded for anyone living here.")];
}

async function fillUnmetSection(section, code) {
  let body;
  try {
    body = unmetSectionBody(await loadUnmet(), code);
  } catch (err) {
    body = [el("p", {class: "error"}, `Unmet preference could not be loaded: ${err.message}`)];
  }
  if (view.selectedCode !== code) return;  // another locality was opened meanwhile
  section.replaceChildren(
    el("h3", {}, "Unmet preference"), ...body,
    el("p", {class: "help"}, "Disclosure-controlled: counts rounded to the nearest 5; ", el("em", {}, "suppressed"),
       " means a count of 1 to 7, or one hidden so that such a count cannot be worked out from the totals."),
    el("p", {}, el("a", {id: "unmet-csv", href: config.unmet.csv, download: true},
                   "Download unmet preference for every locality (CSV)")));
}

/** The locality panel's section, filled in once the publication has loaded (null if not shown). */
export function unmetSection(code) {
  if (!config.unmet) return null;
  const section = el("section", {id: "unmet-section", class: "unmet-section", "aria-live": "polite"},
                     el("h3", {}, "Unmet preference"), el("p", {}, "Loading…"));
  fillUnmetSection(section, code);
  return section;
}
