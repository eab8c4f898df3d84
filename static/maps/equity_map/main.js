/* The commissioner's equity map: a reach run's localities as a choropleth, sites and outreach,
 * a locality panel, equity charts, and Recompute with live progress.
 *
 * Reads only the page's own JSON under /map/api/ (session auth). Localities are drawn by
 * ChoroplethCanvas (choropleth_canvas.js), so a national map of ~34k localities stays quick.
 * Commissioners also get unmet care-plan preference (careplans' protected figures) as a layer
 * and a panel section. django-leaflet makes the map and announces it with a "map:init" event.
 */

import {getJSON} from "./api.js";
import {choroplethCanvas} from "./choropleth_canvas.js";
import {config, urls} from "./config.js";
import {$, showError} from "./dom.js";
import {loadCharts} from "./charts.js";
import {addCanvas, loadDetailCells, onZoomEnd, setCoarse} from "./geometry.js";
import {addLegend} from "./legend.js";
import {syncOptionControl, updateLinks} from "./links.js";
import {closePanel, findLocality, openPanel} from "./panel.js";
import {follow, loadRun, recompute, refreshRuns, showRun} from "./runs.js";
import {listenToScenarioControls, openScenarioFromAddress} from "./scenario.js";
import {listenToEditor, localityClicked} from "./scenario_edit.js";
import {loadOutreach, loadSites} from "./sites.js";
import {initUnmet, optionChanged, unmetLayer} from "./unmet.js";
import {drawValues, drawWithoutRun, fetchValues, loadValues} from "./values.js";
import {view} from "./view.js";

/** What the browser tests read, through import() of this module (no window global). */
export const inspect = {
  get map() { return view.map; },
  get choropleth() { return view.choropleth; },
  get runId() { return view.runId; },
  get values() { return view.values; },
  get unmet() { return unmetLayer(); },
  get scenario() { return view.scenario; },
  get scenarioView() { return view.scenarioView; },
};

function markPainted() {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    performance.mark("choropleth-painted");
    document.documentElement.dataset.mapPainted = String(view.choropleth.size());
  }));
}

function addLayers(map) {
  view.choropleth = choroplethCanvas({
    padding: 0.3,
    onFeatureClick: (id) => localityClicked(id) || openPanel(id, {returnFocus: map.getContainer()}),
  }).addTo(map);
  addCanvas(view.choropleth);
  addLegend(map);
  const sites = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 14}).addTo(map);
  const outreach = L.featureGroup();
  const layers = L.control.layers(null, {"Sites": sites, "Outreach coverage": outreach},
                                  {collapsed: false}).addTo(map);
  initUnmet(map, layers);
  return {sites, outreach};
}

/** Geometry, the run and (for a whole-menu measure) its values, fetched at once, then drawn. */
async function drawFirst() {
  // The page preloads these very URLs (config.first_requests), so they may have arrived already.
  const first = config.first_requests;
  const shapesPromise = getJSON(first.shapes);
  const runPromise = view.runId ? loadRun(view.runId) : Promise.resolve();
  const valuesPromise = !view.runId ? Promise.resolve(null)
    : first.values ? getJSON(first.values) : runPromise.then(fetchValues);
  const [shapes, , values] = await Promise.all([shapesPromise, runPromise, valuesPromise]);
  performance.mark("map-data-received");
  setCoarse(shapes);
  performance.mark("map-shapes-decoded");
  if (values) drawValues(values); else drawWithoutRun();
  performance.mark("map-shapes-added");
  markPainted();
}

function listen(map) {
  map.on("zoomend", onZoomEnd);
  map.on("moveend", loadDetailCells);
  // The controls change the map as they are used; Enter in them must not reload the page.
  $("map-controls").addEventListener("submit", (e) => e.preventDefault());
  $("measure-select").addEventListener("change", (e) => {
    view.measure = e.target.value;
    syncOptionControl();
    optionChanged();
    loadValues().catch((err) => showError(err.message));
  });
  $("option-select").addEventListener("change", (e) => {
    view.option = e.target.value;
    optionChanged();
    loadValues().catch((err) => showError(err.message));
  });
  $("run-select").addEventListener("change", (e) => {
    if (e.target.value) showRun(Number(e.target.value)).catch((err) => showError(err.message));
  });
  $("recompute").addEventListener("click", recompute);
  $("panel-close").addEventListener("click", closePanel);
  $("locality-panel").addEventListener("keydown", (e) => { if (e.key === "Escape") closePanel(); });
  $("find-locality").addEventListener("submit", findLocality);
  listenToScenarioControls();
  listenToEditor(map);
}

async function init(map) {
  view.map = map;
  const {sites, outreach} = addLayers(map);
  if (config.bounds) map.fitBounds(config.bounds);
  $("measure-select").value = view.measure;
  syncOptionControl();

  try {
    await drawFirst();
  } catch (err) {
    showError(`The map could not be drawn: ${err.message}`);
    return;
  }
  if (!view.runId) $("run-status").textContent = "No reach run yet: press Recompute to compute one.";
  listen(map);

  updateLinks();
  const overview = await refreshRuns().catch((err) => { showError(err.message); return null; });
  loadCharts().catch((err) => showError(err.message));
  loadSites(sites).catch((err) => showError(`Sites could not be loaded: ${err.message}`));
  await openScenarioFromAddress().catch((err) => showError(`The scenario could not be opened: ${err.message}`));
  loadOutreach(outreach).catch((err) => showError(`Outreach could not be loaded: ${err.message}`));
  if (config.locality) {
    const match = await getJSON(`${urls.localities}?${new URLSearchParams({q: config.locality})}`).catch(() => null);
    const item = match && match.results.find((r) => r.code === config.locality);
    if (item) { map.setView(item.origin, Math.max(map.getZoom(), 11)); openPanel(item.id); }
  }
  if (overview && overview.active.length) {
    const latest = overview.active[overview.active.length - 1];
    follow(latest.id, {show: !view.scenario && (!view.runId || view.runId === overview.current)});
  }
}

window.addEventListener("map:init", (event) => {
  if (event.detail.id === "equity-map") init(event.detail.map);
});
