/* Scenarios on the map: the picker, the base / scenario / difference views, and running a scenario
 * with the page's progress polling. The edits (new sites, outreach, closing) are in scenario_edit.js. */

import {deleteJSON, getJSON, postJSON} from "./api.js";
import {config, measureInfo, urls} from "./config.js";
import {$, el, showError} from "./dom.js";
import {when} from "./format.js";
import {updateLinks, syncOptionControl} from "./links.js";
import {closePanel} from "./panel.js";
import {follow, refreshRuns, showRun} from "./runs.js";
import {markScenarioSites} from "./sites.js";
import {view} from "./view.js";

const VIEWS = ["base", "scenario", "difference"];
let editorHooks = {opened: () => {}};

/** scenario_edit.js learns of each scenario opened (to set up the owner's tools). */
export function setEditorHooks(hooks) {
  editorHooks = hooks;
}

export async function loadScenarioList() {
  const {scenarios} = await getJSON(urls.scenarios);
  const select = $("scenario-select");
  select.replaceChildren(el("option", {value: ""}, "None: the current catalogue"),
    ...scenarios.map((s) => el("option", {value: s.id},
      `${s.name} (${s.owner || "no owner"})${s.run ? `, run ${s.run}` : ", not run yet"}`)));
  select.value = view.scenario ? String(view.scenario.id) : "";
}

function aboutText(scenario) {
  const parts = [`Owner: ${scenario.owner || "none"}.`,
    `Base: ${scenario.base ? `scenario “${scenario.base.name}”` : "the current catalogue"}.`];
  parts.push(scenario.run ? `Latest run ${scenario.run.id} (${scenario.run.profile}), ${when(scenario.run.finished_at)}.`
    : "Not run yet: run it to see what it changes.");
  if (scenario.changed_since_run) parts.push("Changed since that run: run it again to see the changes.");
  if (scenario.run && !scenario.base_run) parts.push("Its base has no run of the same profile yet.");
  if (scenario.applied) parts.push("Applied to the catalogue.");
  return parts.join(" ");
}

/** Which views can be shown now; a view without a run is disabled and says why. */
function syncViewControls() {
  const scenario = view.scenario;
  const available = {base: Boolean(scenario.base_run), scenario: Boolean(scenario.run),
                     difference: Boolean(scenario.run && scenario.base_run)};
  for (const radio of document.querySelectorAll("input[name=scenario-view]")) {
    radio.disabled = !available[radio.value];
    radio.checked = radio.value === view.scenarioView;
  }
  return available;
}

/** In the difference view only counts can be coloured; other measures are disabled with the reason. */
function syncMeasureControl() {
  const difference = view.scenarioView === "difference";
  const note = $("difference-note");
  for (const option of $("measure-select").options) {
    option.disabled = difference && !measureInfo(option.value).difference;
  }
  let message = "";
  if (difference && !measureInfo(view.measure).difference) {
    message = `${measureInfo(view.measure).label} has no difference view: times and places per 1,000 people have `
      + "no value where nothing is in reach. Showing the change in the expected menu instead.";
    view.measure = "expected_menu";
    $("measure-select").value = view.measure;
    syncOptionControl();
  } else if (difference) {
    message = "Times and places per 1,000 people are not offered here: they have no value where nothing is in "
      + "reach, so compare them in the base and scenario views.";
  }
  note.textContent = message;
  note.hidden = !message;
}

/** Show the chosen view of the open scenario: the base run, the scenario run, or the difference. */
export async function showScenarioView(mode) {
  const scenario = view.scenario;
  const available = syncViewControls();
  view.scenarioView = available[mode] ? mode : VIEWS.find((v) => available[v]) || "";
  syncViewControls();
  syncMeasureControl();
  if (!view.scenarioView) { updateLinks(); return; }
  const run = view.scenarioView === "base" ? scenario.base_run : scenario.run;
  await showRun(run.id);
  updateLinks();
}

function renderScenario(scenario) {
  $("scenario-bar").hidden = false;
  $("scenario-name").textContent = scenario.name;
  $("scenario-about").textContent = aboutText(scenario);
  $("scenario-change-count").textContent = String(scenario.changes.length);
  $("scenario-changes").replaceChildren(...scenario.changes.map((c) => el("li", {dataset: {position: c.position}},
    c.text, scenario.can_edit ? [" ", el("button", {type: "button", class: "remove-change",
                                                    "aria-label": `Remove change ${c.position}: ${c.text}`,
                                                    onclick: () => removeChange(c)}, "Remove")] : null)));
  $("scenario-tools").hidden = !scenario.can_edit;
  $("scenario-readonly").hidden = scenario.can_edit;
  $("run-select").disabled = true;  // the scenario's views choose the run
  markScenarioSites();
  editorHooks.opened(scenario);
}

/** Take one change out of the open scenario (the API refuses while a later change needs it). */
async function removeChange(change) {
  const status = $("scenario-status");
  try {
    await deleteJSON(`${urls.scenario_api}${view.scenario.id}/changes/${change.position}/`);
  } catch (err) {
    status.textContent = `Change ${change.position} stays: ${err.message}`;
    return;
  }
  await reloadScenario();
  status.textContent = `Removed change ${change.position} (${change.text}). Run the scenario to see the effect.`;
  $("scenario-changes").closest("details").querySelector("summary").focus();
}

/** Reload the open scenario's detail (after a change or a run) without changing the view. */
export async function reloadScenario() {
  view.scenario = await getJSON(`${urls.scenarios}${view.scenario.id}/`);
  renderScenario(view.scenario);
  await loadScenarioList();
  return view.scenario;
}

export async function openScenario(scenarioId, {mode = ""} = {}) {
  showError("");
  if (!scenarioId) { closeScenario(); return; }
  view.scenario = await getJSON(`${urls.scenarios}${scenarioId}/`);
  $("scenario-select").value = String(scenarioId);
  renderScenario(view.scenario);
  await showScenarioView(mode || (view.scenario.run ? "difference" : "base"));
  if (view.scenario.active_run) followScenarioRun(view.scenario.active_run.id);
}

export function closeScenario() {
  view.scenario = null;
  view.scenarioView = "";
  $("scenario-bar").hidden = true;
  $("run-select").disabled = false;
  for (const option of $("measure-select").options) option.disabled = false;
  editorHooks.opened(null);
  markScenarioSites();
  if (!$("locality-panel").hidden) closePanel();
  refreshRuns().then((overview) => overview.current && showRun(overview.current))
    .catch((err) => showError(err.message));
}

const SCENARIO_CONTROLS = {progress: "scenario-progress", status: "scenario-status", button: "run-scenario"};

function followScenarioRun(runId) {
  return follow(runId, {controls: SCENARIO_CONTROLS, onSucceeded: async () => {
    await reloadScenario();
    await showScenarioView("difference");
  }});
}

/** Start a run of the open scenario on the worker (or follow the one under way), then show the difference. */
export async function runScenario() {
  const scenario = view.scenario;
  $("run-scenario").disabled = true;
  $("scenario-status").textContent = `Starting a run of “${scenario.name}”…`;
  let run;
  try {
    run = await postJSON(`${urls.scenario_api}${scenario.id}/run/`, {});
  } catch (err) {
    const active = err.status === 409 ? (await reloadScenario()).active_run : null;
    if (!active) {
      $("scenario-status").textContent = `Could not start the run: ${err.message}`;
      $("run-scenario").disabled = false;
      return;
    }
    run = active;  // one is already under way: follow it
  }
  await followScenarioRun(run.id);
}

export function listenToScenarioControls() {
  $("scenario-select").addEventListener("change", (e) => {
    openScenario(Number(e.target.value) || null).catch((err) => showError(err.message));
  });
  for (const radio of document.querySelectorAll("input[name=scenario-view]")) {
    radio.addEventListener("change", (e) => {
      if (e.target.checked) showScenarioView(e.target.value).catch((err) => showError(err.message));
    });
  }
  $("run-scenario").addEventListener("click", () => runScenario().catch((err) => showError(err.message)));
}

/** The scenario named in the page address (/map/?scenario=ID&view=difference), if any. */
export async function openScenarioFromAddress() {
  await loadScenarioList();
  if (config.scenario) await openScenario(config.scenario, {mode: config.view_mode});
}
