/* The locality panel while a scenario is open: the locality's figures and each option before (the
 * base run) and after (the scenario run), with every change said in words, never by colour only. */

import {urls} from "./config.js";
import {$, el} from "./dom.js";
import {nearestText, number, yesNo} from "./format.js";
import {view} from "./view.js";

/** The before/after panel's URL for a locality, or null when no scenario run can be compared yet. */
export function scenarioPanelUrl(localityId) {
  const scenario = view.scenario;
  if (!scenario || !scenario.run || !scenario.base_run) return null;
  return `${urls.scenarios}${scenario.id}/localities/${localityId}/?run=${scenario.run.id}`;
}

function changeText(change, digits) {
  if (change === 0) return "no change";
  const size = number(Math.abs(change), digits);
  return `${change > 0 ? "gains" : "loses"} ${size}`;
}

function figuresTable(panel) {
  return el("table", {class: "before-after", dataset: {field: "scenario-figures"}},
    el("caption", {}, "Before and after"),
    el("thead", {}, el("tr", {}, ["", "Base", "Scenario", "Change"].map((h) => el("th", {scope: "col"}, h)))),
    el("tbody", {}, panel.figures.map((f) => {
      const digits = f.key === "expected_menu" ? 2 : 0;
      return el("tr", {dataset: {figure: f.key}, class: f.change ? "changed" : null},
        el("th", {scope: "row"}, f.label),
        el("td", {dataset: {field: "before"}}, number(f.before, digits)),
        el("td", {dataset: {field: "after"}}, number(f.after, digits)),
        el("td", {dataset: {field: "change"}}, changeText(f.change, digits)));
    })));
}

function optionRows(before, after) {
  const cell = (text, changed, field) => el("td", {class: changed ? "changed" : null, dataset: {field: field}},
                                            text, changed ? " (changed)" : "");
  const row = (label, was, now, field) => el("tr", {},
    el("th", {scope: "row"}, label), el("td", {dataset: {field: `${field}-before`}}, was),
    cell(now, was !== now, `${field}-after`));
  return [
    row("Without a car", yesNo(before.reachable_without_car, before.providers_without_car, before.real_choice_without_car),
        yesNo(after.reachable_without_car, after.providers_without_car, after.real_choice_without_car), "without-car"),
    row("With a car", yesNo(before.reachable_with_car, before.providers_with_car, before.real_choice_with_car),
        yesNo(after.reachable_with_car, after.providers_with_car, after.real_choice_with_car), "with-car"),
    row("Nearest without a car", nearestText(before.nearest, ["walk", "pt"]), nearestText(after.nearest, ["walk", "pt"]),
        "nearest-without-car"),
    row("Nearest by car", nearestText(before.nearest, ["car"]), nearestText(after.nearest, ["car"]), "nearest-car"),
  ];
}

function optionSection(option) {
  return el("section", {class: "scenario-option", dataset: {option: option.code}},
    el("h4", {}, option.name),
    el("table", {class: "before-after"},
      el("thead", {}, el("tr", {}, ["", "Base", "Scenario"].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, optionRows(option.before, option.after))),
    option.changes.length
      ? el("ul", {class: "option-changes", dataset: {field: "changes"}},
           option.changes.map((text) => el("li", {class: "changed"}, text)))
      : el("p", {class: "option-changes", dataset: {field: "changes"}}, "No change."));
}

export function renderScenarioPanel(panel) {
  const loc = panel.locality;
  $("panel-title").textContent = `${loc.name} (${loc.code})`;
  view.selectedCode = loc.code;
  const changed = panel.options.filter((o) => o.changes.length).length;
  $("panel-body").replaceChildren(
    el("p", {class: "scenario-note"},
       `Scenario “${view.scenario.name}” (run ${panel.run}) against its base (run ${panel.base_run}).`),
    el("dl", {class: "facts"},
      el("dt", {}, "Population"), el("dd", {}, el("span", {dataset: {field: "population"}}, number(loc.population, 0))),
      el("dt", {}, "Rurality"), el("dd", {}, loc.rurality_label || "Unknown")),
    figuresTable(panel),
    el("h3", {}, "Option by option"),
    el("p", {dataset: {field: "options-changed"}},
       changed ? `${changed} of ${panel.options.length} options change here.` : "No option changes here."),
    ...panel.options.map(optionSection));
}
