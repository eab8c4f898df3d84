/* Sites (clustered markers with a popup of their offers) and outreach coverage (dashed outlines).
 * With a scenario open, the sites it closes are greyed and struck through, and the sites it adds are
 * drawn apart, each saying so in words (marker title and popup). */

import {getJSON} from "./api.js";
import {urls} from "./config.js";
import {el} from "./dom.js";
import {coarseLatlngs} from "./geometry.js";
import {view} from "./view.js";

const markers = new Map();  // site code → {marker, feature}
let siteActions = () => null;  // what a popup offers besides its figures (scenario_edit.js sets it)

const icons = {};
function icon(kind) {
  const classes = {open: "site-marker", closed: "site-marker closed-site", added: "new-site-marker"};
  icons[kind] = icons[kind] || L.divIcon({className: classes[kind], iconSize: [14, 14]});
  return icons[kind];
}

/** A function (site properties → a node or null) that adds buttons to a site's popup. */
export function setSiteActions(actions) {
  siteActions = actions;
}

export const closedInScenario = (code) => Boolean(view.scenario && view.scenario.closed_sites.includes(code));

function sitePopup(feature) {
  const p = feature.properties;
  const closed = closedInScenario(p.code);
  return el("div", {class: "site-popup"},
    el("h3", {}, p.name), el("p", {}, p.provider, p.address ? ` · ${p.address}` : "", p.postcode ? ` ${p.postcode}` : ""),
    closed ? el("p", {class: "scenario-note"}, `Closed in scenario “${view.scenario.name}”.`) : null,
    el("table", {},
      el("thead", {}, el("tr", {}, ["Option", "Delivery", "Capacity a week", "Wait (weeks)"].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, p.offers.map((o) => el("tr", {class: o.active ? "" : "inactive"},
        el("td", {}, o.option_name, o.active ? "" : " (inactive)"),
        el("td", {}, o.delivery_label + (o.home_visit_km ? ` (${o.home_visit_km} km)` : "")),
        el("td", {}, o.capacity_per_week ?? "—"), el("td", {}, o.waiting_weeks ?? "unknown"))))),
    closed ? null : siteActions(p));
}

const siteTitle = (p) => `${p.name} (${p.provider})`;

export async function loadSites(sites) {
  const collection = await getJSON(urls.sites);
  const layers = collection.features.map((feature) => {
    const [lon, lat] = feature.geometry.coordinates;
    const marker = L.marker([lat, lon], {icon: icon("open"), title: siteTitle(feature.properties),
                                         alt: feature.properties.name, keyboard: true})
      .bindPopup(() => sitePopup(feature), {maxWidth: 420});
    markers.set(feature.properties.code, {marker, feature});
    return marker;
  });
  sites.addLayers(layers);
  markScenarioSites();
}

/** The catalogue's sites (code, name, provider, offers), for the scenario forms. */
export const catalogueSites = () => [...markers.values()].map((m) => m.feature.properties);

let added = null;  // the layer of the open scenario's new sites

function addedPopup(site) {
  return el("div", {class: "site-popup"},
    el("h3", {}, site.name), el("p", {}, site.provider),
    el("p", {class: "scenario-note"}, `New site in scenario “${site.scenario}” (not in the catalogue).`),
    site.offers.length
      ? el("ul", {}, site.offers.map((o) => el("li", {}, `${optionName(o.option)}: ${o.delivery_label}`)))
      : el("p", {}, "No offers added here yet."));
}

const optionName = (code) => ((view.run && view.run.options) || []).reduce((name, o) => (o.code === code ? o.name : name), code);

/** Grey and strike through the sites the open scenario closes, and draw the ones it adds. */
export function markScenarioSites() {
  for (const [code, {marker, feature}] of markers) {
    const closed = closedInScenario(code);
    marker.setIcon(icon(closed ? "closed" : "open"));
    const title = siteTitle(feature.properties) + (closed ? `, closed in scenario “${view.scenario.name}”` : "");
    marker.options.title = title;
    const element = marker.getElement();
    if (element) element.title = title;
  }
  if (!view.map) return;
  if (!added) added = L.layerGroup().addTo(view.map);
  added.clearLayers();
  for (const site of (view.scenario && view.scenario.new_sites) || []) {
    L.marker([site.lat, site.lon], {icon: icon("added"), keyboard: true, alt: site.name,
                                    title: `${site.name} (${site.provider}), new in scenario “${site.scenario}”`})
      .bindPopup(() => addedPopup(site), {maxWidth: 420})
      .addTo(added);
  }
}

export async function loadOutreach(outreach) {
  const data = await getJSON(urls.outreach);
  for (const item of data.localities) {
    const latlngs = coarseLatlngs(item.id);
    if (!latlngs) continue;
    L.polygon(latlngs, {color: "#d7191c", weight: 2, dashArray: "4 3", fill: false, interactive: false})
      .addTo(outreach);
  }
}
