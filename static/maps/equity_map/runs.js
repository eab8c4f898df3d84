/* Runs: choosing which succeeded run the map shows, and Recompute with live progress. */

import {getJSON, postJSON} from "./api.js";
import {urls} from "./config.js";
import {$, el, showError} from "./dom.js";
import {when} from "./format.js";
import {loadCharts} from "./charts.js";
import {openPanel} from "./panel.js";
import {optionChanged} from "./unmet.js";
import {loadValues} from "./values.js";
import {view} from "./view.js";

const POLL_MS = 500;

export async function loadRun(runId) {
  view.run = await getJSON(`${urls.runs}${runId}/`);
  view.runId = runId;
  const select = $("option-select");
  const previous = view.option;
  select.replaceChildren(...view.run.options.map((o) => el("option", {value: o.code}, o.name)));
  const codes = view.run.options.map((o) => o.code);
  view.option = codes.includes(previous) ? previous : (codes[0] || "");
  select.value = view.option;
  optionChanged();
}

export async function showRun(runId) {
  showError("");
  await loadRun(runId);
  if (!view.run.scenario) $("run-select").value = String(runId);
  await loadValues();
  if (view.selectedId) openPanel(view.selectedId, {focus: false});
  loadCharts();
}

export async function refreshRuns() {
  const overview = await getJSON(urls.runs);
  const select = $("run-select");
  const runs = overview.runs;
  // The list holds the catalogue's runs; a scenario's runs are chosen by the scenario's views.
  if (view.runId && !runs.some((r) => r.id === view.runId) && view.run && !view.run.scenario) runs.push(view.run);
  select.replaceChildren(...runs.map((run) => el("option", {value: run.id},
    `Run ${run.id} · ${run.profile}${run.automatic ? " (automatic)" : ""} · ${when(run.finished_at)}`
    + (run.id === overview.current ? " · current" : ""))));
  if (!runs.length) select.append(el("option", {value: ""}, "No succeeded run yet"));
  select.value = view.runId && runs.some((r) => r.id === view.runId) ? String(view.runId) : "";
  const profiles = $("profile-select");
  const chosen = profiles.value || (view.run && view.run.profile_id);
  profiles.replaceChildren(...overview.profiles.map((p) => el("option", {value: p.id}, p.name + (p.is_default ? " (default)" : ""))));
  if (chosen) profiles.value = String(chosen);
  return overview;
}

/** Start a run of the chosen profile (or follow the one already under way), and show it when done. */
export async function recompute() {
  const button = $("recompute");
  button.disabled = true;
  showError("");
  let body;
  try {
    body = await postJSON(urls.runs, {profile: $("profile-select").value});
  } catch (err) {
    if (err.status !== 409 || !err.body.run) {
      showError(`Could not start a run: ${err.message}`);
      button.disabled = false;
      return;
    }
    body = err.body;  // one is already under way: follow it
  }
  follow(body.run.id, {show: true});
}

const RECOMPUTE_CONTROLS = {progress: "run-progress", status: "run-status", button: "recompute"};

/** Poll a run's progress until it ends; `show` switches the map to it if it succeeds, `onSucceeded`
 * (a scenario's run) is called instead; `controls` names the progress bar, status line and button. */
export async function follow(runId, {show, onSucceeded = null, controls = RECOMPUTE_CONTROLS}) {
  const progress = $(controls.progress);
  const status = $(controls.status);
  const button = $(controls.button);
  progress.hidden = false;
  button.disabled = true;
  for (;;) {
    let run;
    try {
      run = await getJSON(`${urls.runs}${runId}/`);
    } catch (err) {
      status.textContent = `Lost track of run ${runId}: ${err.message}`;
      break;
    }
    progress.value = run.progress;
    status.textContent = `Run ${run.id} (${run.profile}): ${run.status}, ${run.progress}%`;
    if (run.status === "succeeded") {
      status.textContent = `Run ${run.id} (${run.profile}) finished.`;
      if (onSucceeded) {
        await onSucceeded(run);
      } else {
        await refreshRuns();
        if (show) await showRun(run.id);
      }
      break;
    }
    if (run.status === "failed" || run.status === "cancelled") {
      status.textContent = `Run ${run.id} ${run.status}.`;
      showError(`Run ${run.id} ${run.status}${run.error ? ": " + run.error : ""}. The map still shows run ${view.runId || "—"}.`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  progress.hidden = true;
  button.disabled = false;
}
