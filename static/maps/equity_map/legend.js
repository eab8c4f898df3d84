/* The choropleth's colour classes and its legend box (bottom right). */

import {el} from "./dom.js";
import {view} from "./view.js";

let control = null;

export function colourFor(value, legend) {
  if (value === null || value === undefined) return legend.no_data.colour;
  let colour = legend.classes.length ? legend.classes[0].colour : legend.no_data.colour;
  for (const item of legend.classes) if (value >= item.min) colour = item.colour;
  return colour;
}

export function addLegend(map) {
  control = L.control({position: "bottomright"});
  control.onAdd = () => el("div", {class: "map-legend", "aria-live": "polite"});
  control.addTo(map);
}

export function renderLegend(payload) {
  const box = control.getContainer();
  const measure = payload.measure || {};
  const option = (view.run && view.run.options || []).find((o) => o.code === measure.option);
  box.replaceChildren(...[
    el("h3", {}, measure.label || ""),
    option ? el("p", {class: "legend-option"}, option.name) : null,
    el("ul", {},
      payload.legend.classes.map((item) => el("li", {}, el("span", {class: "swatch", style: `background:${item.colour}`}),
                                                 item.label)),
      el("li", {}, el("span", {class: "swatch", style: `background:${payload.legend.no_data.colour}`}),
         payload.legend.no_data.label)),
    payload.note ? el("p", {class: "legend-note"}, payload.note)
      : view.run ? el("p", {class: "legend-run"}, `Run ${view.run.id} · ${view.run.profile}`) : null,
    view.run && view.run.travel ? el("p", {class: "legend-travel"}, `Travel times: ${view.run.travel}`) : null,
  ].filter(Boolean));
}
