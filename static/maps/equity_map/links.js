/* The page address and the download and table links follow what the map shows. */

import {measureInfo, urls} from "./config.js";
import {$} from "./dom.js";
import {view} from "./view.js";

export function updateLinks() {
  const params = new URLSearchParams();
  if (view.scenario) {
    params.set("scenario", view.scenario.id);  // the scenario chooses the run
    params.set("view", view.scenarioView);
  } else if (view.runId) {
    params.set("run", view.runId);
  }
  params.set("measure", view.measure);
  if (measureInfo(view.measure).per_option && view.option) params.set("option", view.option);
  if (view.selectedCode) params.set("locality", view.selectedCode);
  history.replaceState(null, "", `${urls.map}?${params}`);
  $("table-link").href = `${urls.table}?${new URLSearchParams(view.runId ? {run: view.runId} : {})}`;
  $("skip-to-table").href = $("table-link").href;  // the skip link above the map goes to the same run's table
  for (const fmt of ["csv", "geojson"]) {
    const link = $(`download-${fmt}`);
    link.href = view.runId ? `${urls.map}runs/${view.runId}/export.${fmt}` : "#";
    link.toggleAttribute("aria-disabled", !view.runId);
  }
}

export function syncOptionControl() {
  const perOption = measureInfo(view.measure).per_option;
  $("option-label").hidden = !perOption;
  $("option-select").disabled = !perOption;
}
