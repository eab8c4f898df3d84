/* Sites (clustered markers with a popup of their offers) and outreach coverage (dashed outlines). */

import {getJSON} from "./api.js";
import {urls} from "./config.js";
import {el} from "./dom.js";
import {coarseLatlngs} from "./geometry.js";

function sitePopup(feature) {
  const p = feature.properties;
  return el("div", {class: "site-popup"},
    el("h3", {}, p.name), el("p", {}, p.provider, p.address ? ` · ${p.address}` : "", p.postcode ? ` ${p.postcode}` : ""),
    el("table", {},
      el("thead", {}, el("tr", {}, ["Option", "Delivery", "Capacity a week", "Wait (weeks)"].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, p.offers.map((o) => el("tr", {class: o.active ? "" : "inactive"},
        el("td", {}, o.option_name, o.active ? "" : " (inactive)"),
        el("td", {}, o.delivery_label + (o.home_visit_km ? ` (${o.home_visit_km} km)` : "")),
        el("td", {}, o.capacity_per_week ?? "—"), el("td", {}, o.waiting_weeks ?? "unknown"))))));
}

export async function loadSites(sites) {
  const collection = await getJSON(urls.sites);
  const icon = L.divIcon({className: "site-marker", iconSize: [14, 14]});
  const markers = collection.features.map((feature) => {
    const [lon, lat] = feature.geometry.coordinates;
    return L.marker([lat, lon], {icon: icon, title: `${feature.properties.name} (${feature.properties.provider})`,
                                 alt: feature.properties.name, keyboard: true})
      .bindPopup(() => sitePopup(feature), {maxWidth: 420});
  });
  sites.addLayers(markers);
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
