/* Building a scenario on the map (its owner only): place a new site by clicking the map (a dialog for
 * its name, provider and offers), pick localities for an outreach session, close a site from its popup.
 * Each is a change POSTed to /api/v1/scenarios/<id>/changes/; the API's field errors are shown next to
 * the fields, and what was typed stays. */

import {getJSON, postJSON} from "./api.js";
import {config, urls} from "./config.js";
import {$, el} from "./dom.js";
import {coarseLatlngs} from "./geometry.js";
import {reloadScenario, setEditorHooks} from "./scenario.js";
import {catalogueSites, closedInScenario, markScenarioSites, setSiteActions} from "./sites.js";
import {view} from "./view.js";

const editor = config.scenario_editor;
const picked = new Map();  // locality id → {id, code, name}
let pickedLayer = null;
let siteAdded = null;      // the code of the site the dialog has added, while its offers are still wanted

const changesUrl = () => `${urls.scenario_api}${view.scenario.id}/changes/`;
const editable = () => Boolean(view.scenario && view.scenario.can_edit);

/** The API's field errors as {field: message}: its keys read "scenario 'X', change 3 (add_site), lat". */
function fieldErrors(err) {
  const found = {};
  for (const [key, messages] of Object.entries((err.body && err.body.fields) || {})) {
    found[key.split(", ").pop()] = messages.join(" ");
  }
  return found;
}

function showFieldError(prefix, field, message) {
  const box = $(`${prefix}-error-${field}`);
  if (!box) return false;
  box.textContent = message || "";
  box.hidden = !message;
  const input = $(`${prefix}-${field}`);
  if (input) input.toggleAttribute("aria-invalid", Boolean(message));
  return true;
}

function clearErrors(form) {
  for (const box of form.querySelectorAll(".field-error, .error")) { box.textContent = ""; box.hidden = true; }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

async function announce(text) {
  await reloadScenario();
  $("scenario-status").textContent = `${text} Run the scenario to see what it changes.`;
}

// ---- a new site -------------------------------------------------------------------------------

function offerRows() {
  const options = (view.run && view.run.options) || [];
  $("site-offers").replaceChildren(...options.map((o, i) => el("tr", {dataset: {option: o.code}},
    el("td", {}, el("label", {}, el("input", {type: "checkbox", name: "offer", value: o.code, id: `site-offer-${i}`}),
                    ` ${o.name}`)),
    el("td", {}, el("select", {"aria-label": `Delivery of ${o.name}`, name: "delivery"},
                    editor.deliveries.map((d) => el("option", {value: d.value}, d.label)))),
    el("td", {}, el("input", {"aria-label": `Home-visit radius of ${o.name} (km)`, name: "home_visit_km",
                              inputmode: "decimal", size: 5}),
       el("p", {class: "field-error", hidden: true, dataset: {offerError: o.code}})))));
}

function openSiteDialog(latlng, opener) {
  const dialog = $("site-dialog");
  $("site-dialog-scenario").textContent = `“${view.scenario.name}”`;
  if (!$("site-offers").children.length) offerRows();
  const names = [...new Set(catalogueSites().map((s) => s.provider))].sort();
  $("provider-names").replaceChildren(...names.map((name) => el("option", {value: name})));
  if (latlng) {
    $("site-lat").value = latlng.lat.toFixed(5);
    $("site-lon").value = latlng.lng.toFixed(5);
  }
  dialog.returnFocus = opener || document.activeElement;
  if (!dialog.open) dialog.showModal();
  $(`site-${editor.site_fields[0]}`).focus();
}

function siteValues() {
  const values = {};
  for (const field of editor.site_fields) {
    const value = $(`site-${field}`).value.trim();
    if (value === "") continue;  // the API says which are required
    values[field] = (field === "lat" || field === "lon") && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return values;
}

function offerValues(row, siteCode) {
  const values = {site_code: siteCode, option_code: row.dataset.option, delivery: row.querySelector("select").value};
  const radius = row.querySelector("[name=home_visit_km]").value.trim();
  if (radius) values.home_visit_km = Number.isFinite(Number(radius)) ? Number(radius) : radius;
  return values;
}

async function submitSite(event) {
  event.preventDefault();
  const form = $("site-form");
  clearErrors(form);
  if (!siteAdded) {
    const values = siteValues();
    try {
      await postJSON(changesUrl(), {kind: "add_site", values: values});
    } catch (err) {
      const errors = fieldErrors(err);
      const general = Object.entries(errors).filter(([field, text]) => !showFieldError("site", field, text));
      $("site-form-error").textContent = general.length ? general.map(([, text]) => text).join(" ")
        : err.body && err.body.fields ? "Please correct the fields marked above." : err.message;
      $("site-form-error").hidden = false;
      const first = form.querySelector("[aria-invalid]");
      if (first) first.focus();
      return;
    }
    siteAdded = values.code;
    $("site-added-note").textContent = `Site ${values.code} is in the scenario.`;
    $("site-added-note").hidden = false;
  }
  for (const row of $("site-offers").querySelectorAll("tr")) {
    const box = row.querySelector("[type=checkbox]");
    if (!box.checked || box.disabled) continue;
    try {
      await postJSON(changesUrl(), {kind: "add_offer", values: offerValues(row, siteAdded)});
      box.disabled = true;  // added: not sent again when a later offer needs correcting
    } catch (err) {
      const message = Object.values(fieldErrors(err)).join(" ") || err.message;
      const where = row.querySelector("[data-offer-error]");
      where.textContent = message;
      where.hidden = false;
      $("site-form-error").textContent = `The site was added; correct the offer marked below and press “Add to the scenario” again.`;
      $("site-form-error").hidden = false;
      await reloadScenario();
      return;
    }
  }
  const code = siteAdded;
  siteAdded = null;
  form.reset();
  $("site-added-note").hidden = true;
  for (const box of $("site-offers").querySelectorAll("[type=checkbox]")) box.disabled = false;
  $("site-dialog").close();
  setPlacing(false);
  await announce(`Added site ${code}.`);
}

function setPlacing(on) {
  view.placing = on;
  $("place-site").setAttribute("aria-pressed", String(on));
  $("place-help").hidden = !on;
  if (on) setPicking(false);
  view.map.getContainer().style.cursor = on ? "crosshair" : "";
}

// ---- an outreach session --------------------------------------------------------------------

function drawPicked() {
  if (!pickedLayer) pickedLayer = L.layerGroup().addTo(view.map);
  pickedLayer.clearLayers();
  for (const id of picked.keys()) {
    const latlngs = coarseLatlngs(id);
    if (latlngs) L.polygon(latlngs, {color: "#542788", weight: 3, dashArray: "6 3", fill: false, interactive: false})
      .addTo(pickedLayer);
  }
  $("outreach-picked").replaceChildren(...(picked.size ? [...picked.values()].map((loc) => el("li", {},
    el("button", {type: "button", "aria-label": `Remove ${loc.name} (${loc.code})`, onclick: () => togglePicked(loc)},
       `${loc.name} (${loc.code}) ×`)))
    : [el("li", {}, "None yet.")]));
}

function togglePicked(locality) {
  if (picked.has(locality.id)) picked.delete(locality.id); else picked.set(locality.id, locality);
  drawPicked();
  $("scenario-status").textContent = `${picked.has(locality.id) ? "Picked" : "Removed"} ${locality.name}; `
    + `${picked.size} localit${picked.size === 1 ? "y" : "ies"} picked.`;
}

/** A click on a locality while picking: add it to the session's localities, or take it off. */
export async function pickLocality(localityId) {
  const panel = await getJSON(`${urls.runs}${view.runId}/localities/${localityId}/`);
  togglePicked({id: localityId, code: panel.locality.code, name: panel.locality.name});
}

function siteChoices() {
  const closed = new Set(view.scenario.closed_sites);
  const sites = catalogueSites().filter((s) => !closed.has(s.code))
    .map((s) => ({code: s.code, name: s.name, provider: s.provider,
                  outreach: s.offers.filter((o) => o.delivery === "outreach" && o.active).map((o) => o.option)}))
    .concat(view.scenario.new_sites.map((s) => ({code: s.code, name: `${s.name} (new)`, provider: s.provider,
                                                 outreach: s.offers.filter((o) => o.delivery === "outreach").map((o) => o.option)})));
  return sites.sort((a, b) => a.name.localeCompare(b.name));
}

function setPicking(on) {
  view.picking = on;
  $("pick-outreach").setAttribute("aria-pressed", String(on));
  $("outreach-form").hidden = !on;
  if (!on) return;
  setPlacing(false);
  const site = $("outreach-site");
  const chosen = site.value;
  site.replaceChildren(...siteChoices().map((s) => el("option", {value: s.code}, `${s.name} · ${s.provider} (${s.code})`)));
  if (chosen) site.value = chosen;
  const option = $("outreach-option");
  const chosenOption = option.value;
  option.replaceChildren(...((view.run && view.run.options) || []).map((o) => el("option", {value: o.code}, o.name)));
  if (chosenOption) option.value = chosenOption;
  drawPicked();
  $("outreach-query").focus();
}

async function findOutreachLocality() {
  const list = $("outreach-results");
  const query = $("outreach-query").value;
  const {results} = await getJSON(`${urls.localities}?${new URLSearchParams({q: query})}`);
  list.replaceChildren(...(results.length ? results.map((item) => el("li", {},
    el("button", {type: "button", "aria-pressed": String(picked.has(item.id)),
                  onclick: (e) => { togglePicked(item); e.currentTarget.setAttribute("aria-pressed", String(picked.has(item.id))); }},
       `${item.name} (${item.code})`)))
    : [el("li", {}, `No locality matches “${query}”.`)]));
}

async function submitOutreach(event) {
  event.preventDefault();
  const form = $("outreach-form");
  clearErrors(form);
  const siteCode = $("outreach-site").value;
  const optionCode = $("outreach-option").value;
  const codes = [...picked.values()].map((loc) => loc.code);
  const site = siteChoices().find((s) => s.code === siteCode);
  const existing = site && site.outreach.includes(optionCode);
  // An outreach offer the site already has gains the localities; otherwise the site starts one.
  const change = existing
    ? {kind: "add_outreach", values: {site_code: siteCode, option_code: optionCode, localities: codes}}
    : {kind: "add_offer", values: {site_code: siteCode, option_code: optionCode, delivery: "outreach",
                                   outreach_localities: codes}};
  try {
    await postJSON(changesUrl(), change);
  } catch (err) {
    const general = [];
    for (const [field, text] of Object.entries(fieldErrors(err))) {
      const name = field === "outreach_localities" ? "localities" : field;
      if (!showFieldError("outreach", name, text)) general.push(text);
    }
    $("outreach-error").textContent = general.join(" ") || "Please correct the fields marked above.";
    $("outreach-error").hidden = false;
    return;
  }
  const names = [...picked.values()].map((loc) => loc.name).join(", ");
  picked.clear();
  drawPicked();
  setPicking(false);
  await announce(`Added outreach of ${optionCode} from ${siteCode} in ${names}.`);
  $("pick-outreach").focus();
}

// ---- closing a site -------------------------------------------------------------------------

async function closeSite(properties, button) {
  button.disabled = true;
  try {
    await postJSON(changesUrl(), {kind: "close_site", values: {site_code: properties.code}});
  } catch (err) {
    button.disabled = false;
    button.after(el("p", {class: "error", role: "alert"}, Object.values(fieldErrors(err)).join(" ") || err.message));
    return;
  }
  view.map.closePopup();
  await announce(`Closed site ${properties.name} (${properties.code}).`);
  markScenarioSites();
}

function siteActions(properties) {
  if (!editable() || closedInScenario(properties.code)) return null;
  return el("p", {}, el("button", {type: "button", class: "close-site",
                                   onclick: (e) => closeSite(properties, e.currentTarget)},
                        `Close this site in ${view.scenario.name}`));
}

// ---- wiring ---------------------------------------------------------------------------------

/** Whether a click on a locality was taken by the editor (placing a site or picking outreach). */
export function localityClicked(localityId) {
  if (view.placing) return true;  // the map's own click places the site
  if (view.picking) { pickLocality(localityId).catch((err) => { $("scenario-status").textContent = err.message; }); return true; }
  return false;
}

export function listenToEditor(map) {
  setSiteActions(siteActions);
  setEditorHooks({opened: (scenario) => {
    if (!scenario || !scenario.can_edit) { setPlacing(false); setPicking(false); }
  }});
  map.on("click", (e) => {
    if (view.placing && editable()) openSiteDialog(e.latlng, $("place-site"));
  });
  $("place-site").addEventListener("click", () => setPlacing(!view.placing));
  $("type-coordinates").addEventListener("click", (e) => openSiteDialog(view.map.getCenter(), e.currentTarget));
  $("site-form").addEventListener("submit", (e) => submitSite(e).catch((err) => {
    $("site-form-error").textContent = err.message; $("site-form-error").hidden = false;
  }));
  $("site-cancel").addEventListener("click", () => $("site-dialog").close());
  $("site-dialog").addEventListener("close", () => {
    const back = $("site-dialog").returnFocus;
    if (back && back.isConnected) back.focus();
  });
  $("pick-outreach").addEventListener("click", () => setPicking(!view.picking));
  $("outreach-cancel").addEventListener("click", () => { setPicking(false); $("pick-outreach").focus(); });
  $("outreach-find").addEventListener("click", () => findOutreachLocality().catch((err) => {
    $("outreach-results").replaceChildren(el("li", {class: "error"}, err.message));
  }));
  $("outreach-query").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); $("outreach-find").click(); }
  });
  $("outreach-form").addEventListener("submit", (e) => submitOutreach(e).catch((err) => {
    $("outreach-error").textContent = err.message; $("outreach-error").hidden = false;
  }));
  $("outreach-form").addEventListener("keydown", (e) => {
    if (e.key === "Escape") { setPicking(false); $("pick-outreach").focus(); }
  });
}
