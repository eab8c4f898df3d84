/* The locality panel: one locality's figures in the shown run, option by option, and what is
 * missing; opened from the map or by finding a locality by name. */

import {getJSON} from "./api.js";
import {urls} from "./config.js";
import {$, el} from "./dom.js";
import {nearestText, number, percent, yesNo} from "./format.js";
import {updateLinks} from "./links.js";
import {renderScenarioPanel, scenarioPanelUrl} from "./scenario_panel.js";
import {unmetSection} from "./unmet.js";
import {view} from "./view.js";

function renderPanel(panel) {
  const loc = panel.locality;
  const fig = panel.figures;
  $("panel-title").textContent = `${loc.name} (${loc.code})`;
  view.selectedCode = loc.code;
  const field = (name, value) => el("span", {dataset: {field: name}}, value);
  $("panel-body").replaceChildren(
    el("dl", {class: "facts"},
      el("dt", {}, "Population"), el("dd", {}, field("population", number(loc.population, 0))),
      el("dt", {}, "Rurality"), el("dd", {}, field("rurality", loc.rurality_label || "Unknown")),
      el("dt", {}, "IMD decile"), el("dd", {}, field("imd_decile", loc.imd_decile ?? "Unknown")),
      el("dt", {}, "Households with a car"),
      el("dd", {}, field("car_share", percent(loc.car_share)), loc.car_share_is_default ? " (profile default)" : ""),
      loc.la_name ? [el("dt", {}, "Local authority"), el("dd", {}, loc.la_name)] : null),
    view.run && view.run.travel
      ? el("p", {class: "panel-travel", dataset: {field: "travel"}}, `Travel times: ${view.run.travel}`)
      : null,
    el("dl", {class: "figures"},
      el("dt", {}, "Menu without a car"),
      el("dd", {}, field("menu_without_car", fig.menu_without_car), ` of ${fig.n_options}`),
      el("dt", {}, "Menu with a car"), el("dd", {}, field("menu_with_car", fig.menu_with_car), ` of ${fig.n_options}`),
      el("dt", {}, "Expected menu"), el("dd", {}, field("expected_menu", number(fig.expected_menu, 2))),
      el("dt", {}, `Real choice (${fig.real_choice_providers}+ providers) without / with a car`),
      el("dd", {}, field("real_choice_without_car", fig.real_choice_without_car), " / ",
         field("real_choice_with_car", fig.real_choice_with_car))),
    el("table", {class: "options"},
      el("caption", {}, "Option by option"),
      el("thead", {}, el("tr", {},
        el("th", {scope: "col"}, "Option"), el("th", {scope: "col"}, "Without a car"),
        el("th", {scope: "col"}, "Nearest without a car"), el("th", {scope: "col"}, "With a car"),
        el("th", {scope: "col"}, "Nearest by car"))),
      el("tbody", {}, panel.options.map((o) => el("tr", {dataset: {option: o.code}},
        el("th", {scope: "row"}, o.name),
        el("td", {dataset: {field: "providers_without_car", value: o.providers_without_car}},
           yesNo(o.reachable_without_car, o.providers_without_car, o.real_choice_without_car)),
        el("td", {dataset: {field: "nearest_without_car"}}, nearestText(o.nearest, ["walk", "pt"])),
        el("td", {dataset: {field: "providers_with_car", value: o.providers_with_car}},
           yesNo(o.reachable_with_car, o.providers_with_car, o.real_choice_with_car)),
        el("td", {dataset: {field: "nearest_car"}}, nearestText(o.nearest, ["car"])))))),
    el("h3", {}, "What is missing"),
    el("p", {dataset: {field: "missing_without_car"}},
       panel.missing_without_car.length ? `Without a car: ${panel.missing_without_car.join(", ")}.`
         : "Without a car: nothing, the whole menu is within reach."),
    el("p", {dataset: {field: "missing_with_car"}},
       panel.missing_with_car.length ? `Even with a car: ${panel.missing_with_car.join(", ")}.`
         : "With a car: nothing, the whole menu is within reach."),
    el("p", {class: "help"}, "Nearest sites are on-site offers within the profile's time limits; outreach, home visits and (if the profile counts it) remote delivery also make an option reachable."),
    unmetSection(loc.code),
  );
}

export async function openPanel(localityId, {focus = true, returnFocus = null} = {}) {
  if (!view.runId) return;
  view.selectedId = localityId;
  view.choropleth.setSelected(localityId);
  const panel = $("locality-panel");
  try {
    // With a scenario open (and run), the panel shows each option before and after.
    const scenarioUrl = scenarioPanelUrl(localityId);
    if (scenarioUrl) renderScenarioPanel(await getJSON(scenarioUrl));
    else renderPanel(await getJSON(`${urls.runs}${view.runId}/localities/${localityId}/`));
  } catch (err) {
    $("panel-title").textContent = "Locality";
    $("panel-body").replaceChildren(el("p", {class: "error"}, err.message));
  }
  if (panel.hidden) { panel.hidden = false; view.map.invalidateSize(); }
  panel.returnFocus = returnFocus || panel.returnFocus || document.activeElement;
  if (focus) panel.focus();
  updateLinks();
}

export function closePanel() {
  const panel = $("locality-panel");
  panel.hidden = true;
  view.map.invalidateSize();
  view.choropleth.setSelected(null);
  view.selectedId = null;
  view.selectedCode = null;
  updateLinks();
  if (panel.returnFocus && panel.returnFocus.focus) panel.returnFocus.focus();
}

export async function findLocality(event) {
  event.preventDefault();
  const list = $("find-results");
  const query = $("find-query").value;
  let results = [];
  try {
    results = (await getJSON(`${urls.localities}?${new URLSearchParams({q: query})}`)).results;
  } catch (err) {
    list.replaceChildren(el("li", {class: "error"}, err.message));
    return;
  }
  const choose = (item, button) => {
    view.map.setView(item.origin, Math.max(view.map.getZoom(), 12));
    openPanel(item.id, {returnFocus: button || $("find-query")});
  };
  list.replaceChildren(...(results.length ? results.map((item) => el("li", {},
    el("button", {type: "button", onclick: (e) => choose(item, e.currentTarget)}, `${item.name} (${item.code})`)))
    : [el("li", {}, `No locality matches “${query}”.`)]));
  if (results.length === 1) choose(results[0], null);
}
