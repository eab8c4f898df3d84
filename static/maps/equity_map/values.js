/* The choropleth: the shown run's figures for the chosen measure (and option), one colour per locality. */

import {getJSON} from "./api.js";
import {measureInfo, urls} from "./config.js";
import {coarseIds, latlngsFor} from "./geometry.js";
import {colourFor, renderLegend} from "./legend.js";
import {updateLinks} from "./links.js";
import {view} from "./view.js";

// A difference's "no change" is a near-white neutral: outline every locality then, so that one stands
// out from the map's background at every zoom.
const DIFFERENCE_OUTLINE = ["#8c8c8c", 0];
let outlineDefaults = null;

function setOutline(shapes, diverging) {
  outlineDefaults = outlineDefaults || [shapes.options.outline, shapes.options.outlineMinZoom];
  shapes.setOutline(...(diverging ? DIFFERENCE_OUTLINE : outlineDefaults));
}

export function drawValues(payload) {
  view.values = payload;
  const shapes = view.choropleth;
  setOutline(shapes, payload.legend.kind === "diverging");
  const present = new Set(payload.ids);
  for (const id of shapes.ids()) if (!present.has(id)) shapes.removeFeature(id);
  payload.ids.forEach((id, i) => {
    // A difference comes with each locality's class, decided on the server (zero is a class of its own).
    const index = payload.class_index ? payload.class_index[i] : undefined;
    const colour = index === undefined ? colourFor(payload.values[i], payload.legend)
      : index === null ? payload.legend.no_data.colour : payload.legend.classes[index].colour;
    if (shapes.has(id)) {
      shapes.setColour(id, colour);
    } else {
      const latlngs = latlngsFor(id);
      if (latlngs) shapes.setFeature(id, latlngs, colour);  // else deleted since the run: nothing to draw
    }
  });
  renderLegend(payload);
}

export function drawWithoutRun() {
  // No run yet: still show where the localities are.
  const legend = {classes: [], no_data: {label: "No reach run yet", colour: "#d9d9d9"}};
  const ids = coarseIds();
  drawValues({ids: ids, values: ids.map(() => null), legend: legend, measure: {label: "No run"}});
}

export function fetchValues() {
  const params = {measure: view.measure};
  if (measureInfo(view.measure).per_option) params.option = view.option;
  if (view.scenario && view.scenarioView === "difference") {
    params.run = view.runId;
    return getJSON(`${urls.scenarios}${view.scenario.id}/difference/?${new URLSearchParams(params)}`)
      .then((payload) => Object.assign(payload, {
        note: `Scenario “${view.scenario.name}” (run ${payload.run}) minus its base (run ${payload.base_run})`,
      }));
  }
  return getJSON(`${urls.runs}${view.runId}/values/?${new URLSearchParams(params)}`);
}

let valuesRequest = 0;
export async function loadValues() {
  if (!view.runId) return;
  const request = ++valuesRequest;
  const payload = await fetchValues();
  if (request !== valuesRequest) return;  // a later choice overtook this one
  drawValues(payload);
  updateLinks();
}
