/* The commissioner's equity map: a reach run's localities as a choropleth, sites and outreach,
 * a locality panel, equity charts, and Recompute with live progress.
 *
 * Reads only the page's own JSON under /map/api/ (session auth). Geometry comes as encoded
 * polylines in two coverage-simplified bands: a coarse one for every locality, and a detailed
 * one per grid cell once the map is zoomed in past config.detail_zoom. Localities are drawn by
 * L.ChoroplethCanvas (choropleth_canvas.js), so a national map of ~34k localities stays quick.
 * Commissioners also get unmet care-plan preference (careplans' protected figures) as a layer
 * and a panel section.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("map-config").textContent);
  const urls = config.urls;
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 500;

  const state = {
    map: null,
    choropleth: null,     // L.ChoroplethCanvas: one shape per locality of the shown run
    runId: config.run,
    run: null,            // the shown run's status and options
    measure: config.measure,
    option: config.option || "",
    values: null,         // the last measure payload: ids, values, legend
    coarse: new Map(),    // locality id → coarse latlngs
    detail: new Map(),    // locality id → detailed latlngs (loaded per grid cell when zoomed in)
    loadedCells: new Set(),
    sites: null,
    outreach: null,
    layers: null,
    legend: null,
    charts: {},
    selectedId: null,
    selectedCode: null,
    following: null,
    unmet: null,          // the unmet-preference layer, for those who may see it (config.unmet)
  };
  window.equityMap = state;  // read by the browser tests and the benchmark

  // ---- small helpers ---------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const csrfToken = () => (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";

  async function getJSON(url, options) {
    const response = await fetch(url, Object.assign({credentials: "same-origin",
                                                      headers: {Accept: "application/json"}}, options));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      // The site-wide API error format: {status, code, message, fields: {name: [messages]}}.
      const fieldMessages = Object.values(body.fields || {}).flat().join(" ");
      const detail = fieldMessages || body.message || response.statusText;
      throw Object.assign(new Error(detail), {status: response.status, body: body});
    }
    return body;
  }

  function showError(message) {
    const box = $("map-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  const number = (value, digits) => value === null || value === undefined ? "—"
    : Number(value).toLocaleString("en-GB", {minimumFractionDigits: digits, maximumFractionDigits: digits});
  const percent = (share) => share === null || share === undefined ? "—" : `${number(share * 100, 1)}%`;
  const when = (iso) => iso ? new Date(iso).toLocaleString("en-GB", {dateStyle: "medium", timeStyle: "short"}) : "";

  function measureInfo(key) {
    return config.measures.find((m) => m.key === key) || config.measures[0];
  }

  function colourFor(value, legend) {
    if (value === null || value === undefined) return legend.no_data.colour;
    let colour = legend.classes.length ? legend.classes[0].colour : legend.no_data.colour;
    for (const item of legend.classes) if (value >= item.min) colour = item.colour;
    return colour;
  }

  // ---- geometry ----------------------------------------------------------------------------------

  function decodeShapes(payload) {
    const decoded = new Map();
    payload.ids.forEach((id, i) => {
      decoded.set(id, payload.shapes[i].map((rings) => rings.map((ring) => polyline.decode(ring, payload.precision))));
    });
    return decoded;
  }

  function shapesUrl(params) {
    return `${urls.shapes}?${new URLSearchParams(Object.assign({v: config.geometry_version}, params))}`;
  }

  const wantsDetail = () => state.map.getZoom() >= config.detail_zoom;
  const latlngsFor = (id) => (wantsDetail() && state.detail.get(id)) || state.coarse.get(id);
  const localityCanvases = () => [state.choropleth, state.unmet && state.unmet.canvas].filter(Boolean);

  async function loadDetailCells() {
    if (!wantsDetail()) return;
    const size = config.detail_cell_degrees;
    const bounds = state.map.getBounds();
    const wanted = [];
    for (let x = Math.floor(bounds.getWest() / size); x <= Math.floor(bounds.getEast() / size); x++) {
      for (let y = Math.floor(bounds.getSouth() / size); y <= Math.floor(bounds.getNorth() / size); y++) {
        const key = `${x},${y}`;
        if (!state.loadedCells.has(key)) { state.loadedCells.add(key); wanted.push(key); }
      }
    }
    await Promise.all(wanted.map(async (cell) => {
      try {
        const decoded = decodeShapes(await getJSON(shapesUrl({band: "detail", cell: cell})));
        for (const [id, latlngs] of decoded) {
          state.detail.set(id, latlngs);
          for (const shapes of localityCanvases()) if (shapes.has(id) && wantsDetail()) shapes.setFeature(id, latlngs);
        }
      } catch (err) {
        state.loadedCells.delete(cell);  // try again on the next move
      }
    }));
  }

  function onZoomEnd() {
    // Crossing the band boundary swaps shapes that have both bands; the rest keep their coarse one.
    for (const id of state.detail.keys()) {
      for (const shapes of localityCanvases()) if (shapes.has(id)) shapes.setFeature(id, latlngsFor(id));
    }
    loadDetailCells();
  }

  // ---- the choropleth ----------------------------------------------------------------------------

  function drawValues(payload) {
    state.values = payload;
    const shapes = state.choropleth;
    const present = new Set(payload.ids);
    for (const id of shapes.ids()) if (!present.has(id)) shapes.removeFeature(id);
    payload.ids.forEach((id, i) => {
      const colour = colourFor(payload.values[i], payload.legend);
      if (shapes.has(id)) {
        shapes.setColour(id, colour);
      } else {
        const latlngs = latlngsFor(id);
        if (latlngs) shapes.setFeature(id, latlngs, colour);  // else deleted since the run: nothing to draw
      }
    });
    renderLegend(payload);
  }

  function drawWithoutRun() {
    // No run yet: still show where the localities are.
    const legend = {classes: [], no_data: {label: "No reach run yet", colour: "#d9d9d9"}};
    const ids = [...state.coarse.keys()];
    drawValues({ids: ids, values: ids.map(() => null), legend: legend, measure: {label: "No run"}});
  }

  function renderLegend(payload) {
    const box = state.legend.getContainer();
    const measure = payload.measure || {};
    const option = (state.run && state.run.options || []).find((o) => o.code === measure.option);
    box.replaceChildren(...[
      el("h3", {}, measure.label || ""),
      option ? el("p", {class: "legend-option"}, option.name) : null,
      el("ul", {},
        payload.legend.classes.map((item) => el("li", {}, el("span", {class: "swatch", style: `background:${item.colour}`}),
                                                   item.label)),
        el("li", {}, el("span", {class: "swatch", style: `background:${payload.legend.no_data.colour}`}),
           payload.legend.no_data.label)),
      state.run ? el("p", {class: "legend-run"}, `Run ${state.run.id} · ${state.run.profile}`) : null,
    ].filter(Boolean));
  }

  function fetchValues() {
    const params = {measure: state.measure};
    if (measureInfo(state.measure).per_option) params.option = state.option;
    return getJSON(`${urls.runs}${state.runId}/values/?${new URLSearchParams(params)}`);
  }

  let valuesRequest = 0;
  async function loadValues() {
    if (!state.runId) return;
    const request = ++valuesRequest;
    const payload = await fetchValues();
    if (request !== valuesRequest) return;  // a later choice overtook this one
    drawValues(payload);
    updateLinks();
  }

  // ---- runs ----------------------------------------------------------------------------------------

  async function loadRun(runId) {
    state.run = await getJSON(`${urls.runs}${runId}/`);
    state.runId = runId;
    const select = $("option-select");
    const previous = state.option;
    select.replaceChildren(...state.run.options.map((o) => el("option", {value: o.code}, o.name)));
    const codes = state.run.options.map((o) => o.code);
    state.option = codes.includes(previous) ? previous : (codes[0] || "");
    select.value = state.option;
    optionChanged();
  }

  async function showRun(runId) {
    showError("");
    await loadRun(runId);
    $("run-select").value = String(runId);
    await loadValues();
    if (state.selectedId) openPanel(state.selectedId, {focus: false});
    loadCharts();
  }

  async function refreshRuns() {
    const overview = await getJSON(urls.runs);
    const select = $("run-select");
    const runs = overview.runs;
    if (state.runId && !runs.some((r) => r.id === state.runId) && state.run) runs.push(state.run);
    select.replaceChildren(...runs.map((run) => el("option", {value: run.id},
      `Run ${run.id} · ${run.profile}${run.automatic ? " (automatic)" : ""} · ${when(run.finished_at)}`
      + (run.id === overview.current ? " · current" : ""))));
    if (!runs.length) select.append(el("option", {value: ""}, "No succeeded run yet"));
    select.value = state.runId ? String(state.runId) : "";
    const profiles = $("profile-select");
    const chosen = profiles.value || (state.run && state.run.profile_id);
    profiles.replaceChildren(...overview.profiles.map((p) => el("option", {value: p.id}, p.name + (p.is_default ? " (default)" : ""))));
    if (chosen) profiles.value = String(chosen);
    return overview;
  }

  async function recompute() {
    const button = $("recompute");
    button.disabled = true;
    showError("");
    let body;
    try {
      body = await getJSON(urls.runs, {method: "POST", body: JSON.stringify({profile: $("profile-select").value}),
                                       headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(),
                                                 Accept: "application/json"}});
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

  async function follow(runId, {show}) {
    const progress = $("run-progress");
    const status = $("run-status");
    state.following = runId;
    progress.hidden = false;
    $("recompute").disabled = true;
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
        await refreshRuns();
        if (show) await showRun(run.id);
        break;
      }
      if (run.status === "failed" || run.status === "cancelled") {
        status.textContent = `Run ${run.id} ${run.status}.`;
        showError(`Run ${run.id} ${run.status}${run.error ? ": " + run.error : ""}. The map still shows run ${state.runId || "—"}.`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    progress.hidden = true;
    state.following = null;
    $("recompute").disabled = false;
  }

  // ---- the locality panel -------------------------------------------------------------------------

  function nearestText(nearest, modes) {
    const names = {walk: "on foot", pt: "by public transport", car: "by car"};
    let best = null;
    for (const mode of modes) {
      const n = nearest[mode];
      if (n && n.minutes !== null && (!best || n.minutes < best.minutes)) best = Object.assign({mode: mode}, n);
    }
    if (!best) return "—";
    return `${best.site_name || best.site_code} (${best.provider || "?"}), ${number(best.minutes, 1)} min ${names[best.mode]}`;
  }

  function yesNo(reachable, providers, realChoice) {
    if (!reachable) return "No";
    return `Yes, ${providers} provider${providers === 1 ? "" : "s"}${realChoice ? " (real choice)" : ""}`;
  }

  function renderPanel(panel) {
    const loc = panel.locality;
    const fig = panel.figures;
    $("panel-title").textContent = `${loc.name} (${loc.code})`;
    state.selectedCode = loc.code;
    const field = (name, value) => el("span", {dataset: {field: name}}, value);
    $("panel-body").replaceChildren(
      el("dl", {class: "facts"},
        el("dt", {}, "Population"), el("dd", {}, field("population", number(loc.population, 0))),
        el("dt", {}, "Rurality"), el("dd", {}, field("rurality", loc.rurality_label || "Unknown")),
        el("dt", {}, "IMD decile"), el("dd", {}, field("imd_decile", loc.imd_decile ?? "Unknown")),
        el("dt", {}, "Households with a car"),
        el("dd", {}, field("car_share", percent(loc.car_share)), loc.car_share_is_default ? " (profile default)" : ""),
        loc.la_name ? [el("dt", {}, "Local authority"), el("dd", {}, loc.la_name)] : null),
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

  async function openPanel(localityId, {focus = true, returnFocus = null} = {}) {
    if (!state.runId) return;
    state.selectedId = localityId;
    state.choropleth.setSelected(localityId);
    const panel = $("locality-panel");
    try {
      renderPanel(await getJSON(`${urls.runs}${state.runId}/localities/${localityId}/`));
    } catch (err) {
      $("panel-title").textContent = "Locality";
      $("panel-body").replaceChildren(el("p", {class: "error"}, err.message));
    }
    if (panel.hidden) { panel.hidden = false; state.map.invalidateSize(); }
    panel.returnFocus = returnFocus || panel.returnFocus || document.activeElement;
    if (focus) panel.focus();
    updateLinks();
  }

  function closePanel() {
    const panel = $("locality-panel");
    panel.hidden = true;
    state.map.invalidateSize();
    state.choropleth.setSelected(null);
    state.selectedId = null;
    state.selectedCode = null;
    updateLinks();
    if (panel.returnFocus && panel.returnFocus.focus) panel.returnFocus.focus();
  }

  async function findLocality(event) {
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
      state.map.setView(item.origin, Math.max(state.map.getZoom(), 12));
      openPanel(item.id, {returnFocus: button || $("find-query")});
    };
    list.replaceChildren(...(results.length ? results.map((item) => el("li", {},
      el("button", {type: "button", onclick: (e) => choose(item, e.currentTarget)}, `${item.name} (${item.code})`)))
      : [el("li", {}, `No locality matches “${query}”.`)]));
    if (results.length === 1) choose(results[0], null);
  }

  // ---- sites and outreach -------------------------------------------------------

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

  async function loadSites() {
    const collection = await getJSON(urls.sites);
    const icon = L.divIcon({className: "site-marker", iconSize: [14, 14]});
    const markers = collection.features.map((feature) => {
      const [lon, lat] = feature.geometry.coordinates;
      return L.marker([lat, lon], {icon: icon, title: `${feature.properties.name} (${feature.properties.provider})`,
                                   alt: feature.properties.name, keyboard: true})
        .bindPopup(() => sitePopup(feature), {maxWidth: 420});
    });
    state.sites.addLayers(markers);
  }

  async function loadOutreach() {
    const data = await getJSON(urls.outreach);
    for (const item of data.localities) {
      const latlngs = state.coarse.get(item.id);
      if (!latlngs) continue;
      L.polygon(latlngs, {color: "#d7191c", weight: 2, dashArray: "4 3", fill: false, interactive: false})
        .addTo(state.outreach);
    }
  }

  // ---- unmet preference: careplans' disclosure-controlled figures, a layer and a panel section -------
  //
  // One request (config.unmet.url) brings the whole protected publication; the layer and the panel
  // both read it, whatever option is chosen. Suppressed counts arrive as null and are always shown as
  // suppressed, never as 0; pooled localities are marked as pooled, never given the pool's count.

  const SUPPRESSED_NOTE = "Suppressed: a count of 1 to 7 people, or a cell hidden so that such a count "
    + "cannot be worked out from the totals (it may then hold any number).";

  function hatchTile(colour, {spacing = 8, width = 2, cross = false, dots = false} = {}) {
    const tile = document.createElement("canvas");
    tile.width = tile.height = spacing;
    const ctx = tile.getContext("2d");
    if (dots) {
      ctx.fillStyle = "#ffffff";
      ctx.beginPath(); ctx.arc(spacing / 2, spacing / 2, width + 1, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = colour;
      ctx.beginPath(); ctx.arc(spacing / 2, spacing / 2, width, 0, 2 * Math.PI); ctx.fill();
      return tile;
    }
    const diagonals = (flip) => {
      ctx.beginPath();
      for (const shift of [-spacing, 0, spacing]) {  // the neighbours' lines, so the tile repeats seamlessly
        const y = (x) => flip ? x + shift : spacing - x + shift;
        ctx.moveTo(-1, y(-1)); ctx.lineTo(spacing + 1, y(spacing + 1));
      }
      ctx.stroke();
    };
    for (const [stroke, lineWidth] of [["#ffffff", width + 2], [colour, width]]) {  // a white halo on any fill
      ctx.strokeStyle = stroke;
      ctx.lineWidth = lineWidth;
      diagonals(false);
      if (cross) diagonals(true);
    }
    return tile;
  }

  /** Fill styles by category: legend classes ("class-<i>"), "suppressed" and "pooled". */
  function unmetStyles(legend) {
    const tiles = {
      suppressed: hatchTile("#555555", {spacing: 9, width: 1, cross: true}),
      pooled: hatchTile("#555555", {spacing: 7, width: 1, dots: true}),
    };
    const spacings = [14, 10, 8, 6, 5];
    legend.classes.forEach((item, i) => {
      tiles[`class-${i}`] = i === 0 ? null  // 0: outlined, not hatched
        : hatchTile(item.colour, {spacing: spacings[Math.min(i, spacings.length - 1)], width: 2});
    });
    const scratch = document.createElement("canvas").getContext("2d");
    const styles = {};
    for (const [key, tile] of Object.entries(tiles)) {
      styles[key] = {fill: tile ? scratch.createPattern(tile, "repeat") : "rgba(0, 0, 0, 0)",
                     swatch: tile ? `background-image:url(${tile.toDataURL()})` : "background:transparent"};
    }
    return styles;
  }

  function loadUnmet() {
    const unmet = state.unmet;
    unmet.request = unmet.request || getJSON(config.unmet.url).then((data) => { unmet.data = data; return data; })
      .catch((err) => { unmet.request = null; throw err; });
    return unmet.request;
  }

  /** The option the layer shows: the option selector's, when the measure uses one; else all options. */
  function unmetOptionKey() {
    return measureInfo(state.measure).per_option && state.option ? state.option : "ALL";
  }

  function unmetLegendFor(key) {
    const legends = state.unmet.data.legends;
    // An option nobody has preferred is absent from the publication: every count for it is 0.
    return legends[key] || {kind: "count", classes: [legends.ALL.classes[0]]};
  }

  function drawUnmet() {
    const unmet = state.unmet;
    const data = unmet.data;
    if (!data) return;
    const key = unmetOptionKey();
    const legend = unmetLegendFor(key);
    const styles = unmetStyles(legend);
    const measure = data.measure;
    const marked = new Map();  // locality id → {category, value}
    for (const loc of data.publication.localities) {
      const id = data.locality_ids[loc.code];
      if (id === undefined) continue;  // OTHER, the pool, has no shape of its own
      const cell = loc.options[key];
      const value = cell ? cell[measure] : 0;
      let category = "suppressed";
      if (value !== null) legend.classes.forEach((item, i) => { if (value >= item.min) category = `class-${i}`; });
      marked.set(id, {category: category, value: value});
    }
    for (const loc of data.publication.pooled_localities) {
      const id = data.locality_ids[loc.code];
      if (id !== undefined) marked.set(id, {category: "pooled", value: null});
    }
    const shapes = unmet.canvas;
    for (const id of shapes.ids()) if (!marked.has(id)) shapes.removeFeature(id);
    for (const [id, item] of marked) {
      const latlngs = latlngsFor(id);
      if (latlngs) shapes.setFeature(id, latlngs, styles[item.category].fill);
    }
    unmet.marked = marked;
    unmet.shownKey = key;
    renderUnmetLegend(key, legend, styles);
  }

  function renderUnmetLegend(key, legend, styles) {
    const box = state.unmet.legend.getContainer();
    const data = state.unmet.data;
    const option = data.publication.options.find((o) => o.code === key)
      || (state.run && state.run.options || []).find((o) => o.code === key);
    const swatch = (style, extra) => el("span", {class: `swatch unmet-swatch ${extra || ""}`, style: style});
    box.replaceChildren(...[
      el("h3", {}, "Unmet preference"),
      el("p", {}, "People who could not reach their preferred option without a car: ",
         el("strong", {dataset: {unmetOption: key}}, key === "ALL" ? "all options" : (option ? option.name : key))),
      data.legends[key] ? null : el("p", {}, "Nobody has preferred this option."),
      el("ul", {},
        legend.classes.map((item, i) => el("li", {dataset: {unmetCategory: `class-${i}`}},
                                            swatch(styles[`class-${i}`].swatch, i === 0 ? "outlined" : ""), item.label)),
        el("li", {dataset: {unmetCategory: "suppressed"}}, swatch(styles.suppressed.swatch),
           el("span", {title: SUPPRESSED_NOTE}, "Fewer than 8 / suppressed")),
        el("li", {dataset: {unmetCategory: "pooled"}}, swatch(styles.pooled.swatch),
           "Pooled with other small localities"),
        el("li", {dataset: {unmetCategory: "none"}}, swatch("background:transparent", "none"),
           "No records: not marked")),
      el("p", {class: "help"}, "Latest choice per person; counts rounded to the nearest 5."),
    ].filter(Boolean));
  }

  async function showUnmetLayer() {
    state.unmet.legend.addTo(state.map);
    const box = state.unmet.legend.getContainer();
    if (!state.unmet.data) box.replaceChildren(el("h3", {}, "Unmet preference"), el("p", {}, "Loading…"));
    try {
      await loadUnmet();
    } catch (err) {
      box.replaceChildren(el("h3", {}, "Unmet preference"), el("p", {class: "error"}, err.message));
      return;
    }
    if (state.map.hasLayer(state.unmet.canvas)) drawUnmet();
  }

  function hideUnmetLayer() {
    state.unmet.legend.remove();
  }

  function optionChanged() {
    if (state.unmet && state.unmet.data && state.unmet.shownKey !== unmetOptionKey()) drawUnmet();
  }

  function initUnmet(map) {
    if (!config.unmet) return;
    map.createPane("unmet");
    const pane = map.getPane("unmet");
    pane.style.zIndex = 450;          // above the choropleth, below markers and popups
    pane.style.pointerEvents = "none";  // clicks reach the choropleth beneath
    const canvas = L.choroplethCanvas({pane: "unmet", padding: 0.3, fillOpacity: 1, outline: "#333333",
                                       outlineMinZoom: 0});
    const legend = L.control({position: "bottomleft"});
    legend.onAdd = () => el("div", {class: "map-legend unmet-legend", "aria-live": "polite"});
    state.unmet = {canvas: canvas, legend: legend, request: null, data: null, marked: new Map(), shownKey: null};
    canvas.on("add", showUnmetLayer);
    canvas.on("remove", hideUnmetLayer);
    state.layers.addOverlay(canvas, "Unmet preference");
  }

  // ---- the panel's unmet-preference section ---------------------------------------------------------

  const unmetCount = (value) => value === null
    ? el("span", {class: "suppressed", title: SUPPRESSED_NOTE}, "suppressed")
    : number(value, 0);

  function unmetTable(data, cells, caption) {
    const labels = Object.fromEntries(data.publication.measures.map((m) => [m.code, m.label]));
    const reasons = data.publication.measures.map((m) => m.code).filter((code) => code.startsWith("reason_"));
    const cellTd = (cell, measure) => el("td", {class: "num", dataset: {measure: measure,
                                                                         value: cell[measure] ?? "suppressed"}},
                                         unmetCount(cell[measure]));
    const rows = [["ALL", "All options"], ...data.publication.options.map((o) => [o.code, o.name])]
      .filter(([code]) => cells[code] && (code === "ALL" || cells[code].preferred !== 0));
    return el("table", {class: "options unmet"},
      el("caption", {}, caption),
      el("thead", {}, el("tr", {},
        el("th", {scope: "col"}, "Option"), el("th", {scope: "col"}, "Preferred it"),
        el("th", {scope: "col"}, "Could not reach it without a car"), el("th", {scope: "col"}, "Agreed another option"))),
      rows.map(([code, name]) => {
        const cell = cells[code];
        const because = reasons.filter((reason) => cell[reason] !== 0);
        return el("tbody", {dataset: {unmetOption: code}},
          el("tr", {},
            el("th", {scope: "row"}, name), cellTd(cell, "preferred"), cellTd(cell, "not_reachable"),
            cellTd(cell, "agreed_different")),
          cell.agreed_different === 0 ? null : el("tr", {class: "reasons"}, el("td", {colspan: 4},
            "Agreed another because: ",
            because.length ? because.map((reason, i) => el("span", {dataset: {measure: reason,
                                                                                value: cell[reason] ?? "suppressed"}},
              i ? "; " : "", labels[reason].replace(/^…\s*because:\s*/, ""), " ", unmetCount(cell[reason])))
              : "no reason counted")));
      }));
  }

  function unmetSectionBody(data, code) {
    const publication = data.publication;
    const shown = publication.localities.find((loc) => loc.code === code);
    if (shown) return [el("p", {dataset: {unmetStatus: "shown"}}, "People living here, by their latest recorded choice."),
                       unmetTable(data, shown.options, "Per option")];
    if (publication.pooled_localities.some((loc) => loc.code === code)) {
      const pool = publication.localities.find((loc) => loc.code === "OTHER");
      return [el("p", {dataset: {unmetStatus: "pooled"}}, "Pooled with other small localities: too few people ",
                 "living here have a recorded choice to show on their own, so they are counted in the pool below."),
              pool ? unmetTable(data, pool.options, pool.name) : null];
    }
    return [el("p", {dataset: {unmetStatus: "none"}}, "No records: no care-plan choice is recorded for anyone living here.")];
  }

  async function fillUnmetSection(section, code) {
    let body;
    try {
      body = unmetSectionBody(await loadUnmet(), code);
    } catch (err) {
      body = [el("p", {class: "error"}, `Unmet preference could not be loaded: ${err.message}`)];
    }
    if (state.selectedCode !== code) return;  // another locality was opened meanwhile
    section.replaceChildren(
      el("h3", {}, "Unmet preference"), ...body,
      el("p", {class: "help"}, "Disclosure-controlled: counts rounded to the nearest 5; ", el("em", {}, "suppressed"),
         " means a count of 1 to 7, or one hidden so that such a count cannot be worked out from the totals."),
      el("p", {}, el("a", {id: "unmet-csv", href: config.unmet.csv, download: true},
                     "Download unmet preference for every locality (CSV)")));
  }

  function unmetSection(code) {
    if (!config.unmet) return null;
    const section = el("section", {id: "unmet-section", class: "unmet-section", "aria-live": "polite"},
                       el("h3", {}, "Unmet preference"), el("p", {}, "Loading…"));
    fillUnmetSection(section, code);
    return section;
  }

  // ---- charts and headline figures -----------------------------------------------------------------

  function barChart(canvasId, label) {
    return new Chart($(canvasId), {
      type: "bar",
      data: {labels: [], datasets: [{label: label, data: [], backgroundColor: "#31688e"}]},
      options: {animation: false, responsive: true, maintainAspectRatio: false, plugins: {legend: {display: false}},
                scales: {y: {beginAtZero: true}}},
    });
  }

  function setChart(key, canvasId, label, labels, data) {
    if (typeof Chart === "undefined") return;
    state.charts[key] = state.charts[key] || barChart(canvasId, label);
    const chart = state.charts[key];
    chart.data.labels = labels;
    chart.data.datasets[0].data = data;
    chart.update();
  }

  function chartTable(caption, header, rows) {
    return el("table", {}, el("caption", {}, caption),
      el("thead", {}, el("tr", {}, header.map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, cell))))));
  }

  async function loadCharts() {
    if (!state.runId) return;
    const data = await getJSON(`${urls.runs}${state.runId}/charts/`);
    const c = data.cards;
    const card = (label, value, note, name) => el("div", {class: "card", dataset: {card: name}},
      el("div", {class: "card-value"}, value), el("div", {class: "card-label"}, label), note ? el("div", {class: "card-note"}, note) : null);
    $("equity-cards").replaceChildren(
      card("Mean expected menu", `${number(c.mean_expected_menu, 1)} of ${c.n_options}`,
           `without a car ${number(c.mean_menu_without_car, 1)}, with a car ${number(c.mean_menu_with_car, 1)}`, "mean"),
      card("People with the whole menu without a car", percent(c.full_menu_share_without_car), null, "full_menu"),
      card("Gini of expected menu", number(c.gini_expected_menu, 3), "0 = everyone the same", "gini"),
      card("Worst-served fifth vs best-served fifth", `${number(c.worst_fifth_expected_menu, 1)} vs ${number(c.best_fifth_expected_menu, 1)}`,
           c.best_to_worst_fifth_ratio ? `ratio ${number(c.best_to_worst_fifth_ratio, 2)}` : null, "fifths"),
      card("People", number(c.population, 0), `in ${number(c.n_localities, 0)} localities`, "people"),
    );
    $("distribution-caption").textContent = `People by expected menu (whole options); Gini ${number(c.gini_expected_menu, 3)}`;
    setChart("rurality", "chart-rurality", "Mean expected menu", data.by_rurality.map((g) => g.key),
             data.by_rurality.map((g) => g.mean_expected_menu));
    setChart("imd", "chart-imd", "Mean expected menu", data.by_imd_decile.map((g) => String(g.key)),
             data.by_imd_decile.map((g) => g.mean_expected_menu));
    setChart("distribution", "chart-distribution", "People", data.distribution.map((b) => String(b.menu)),
             data.distribution.map((b) => b.people));
    $("chart-tables").replaceChildren(
      chartTable("Mean expected menu by rurality class", ["Class", "People", "Mean expected menu"],
                 data.by_rurality.map((g) => [g.label, number(g.population, 0), number(g.mean_expected_menu, 2)])),
      chartTable("Mean expected menu by IMD decile", ["Decile", "People", "Mean expected menu"],
                 data.by_imd_decile.map((g) => [g.key, number(g.population, 0), number(g.mean_expected_menu, 2)])),
      chartTable("People by expected menu", ["Expected menu (at least)", "People"],
                 data.distribution.map((b) => [b.menu, number(b.people, 0)])));
  }

  // ---- links and address ---------------------------------------------------------------------------

  function updateLinks() {
    const params = new URLSearchParams();
    if (state.runId) params.set("run", state.runId);
    params.set("measure", state.measure);
    if (measureInfo(state.measure).per_option && state.option) params.set("option", state.option);
    if (state.selectedCode) params.set("locality", state.selectedCode);
    history.replaceState(null, "", `${urls.map}?${params}`);
    $("table-link").href = `${urls.table}?${new URLSearchParams(state.runId ? {run: state.runId} : {})}`;
    $("skip-to-table").href = $("table-link").href;  // the skip link above the map goes to the same run's table
    for (const fmt of ["csv", "geojson"]) {
      const link = $(`download-${fmt}`);
      link.href = state.runId ? `${urls.map}runs/${state.runId}/export.${fmt}` : "#";
      link.toggleAttribute("aria-disabled", !state.runId);
    }
  }

  function syncOptionControl() {
    const perOption = measureInfo(state.measure).per_option;
    $("option-label").hidden = !perOption;
    $("option-select").disabled = !perOption;
  }

  // ---- start -------------------------------------------------------------------------------------

  function markPainted() {
    requestAnimationFrame(() => requestAnimationFrame(() => {
      performance.mark("choropleth-painted");
      document.documentElement.dataset.mapPainted = String(state.choropleth.size());
    }));
  }

  async function init(map) {
    state.map = map;
    state.choropleth = L.choroplethCanvas({
      padding: 0.3, onFeatureClick: (id) => openPanel(id, {returnFocus: map.getContainer()}),
    }).addTo(map);
    state.legend = L.control({position: "bottomright"});
    state.legend.onAdd = () => el("div", {class: "map-legend", "aria-live": "polite"});
    state.legend.addTo(map);
    state.sites = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 14}).addTo(map);
    state.outreach = L.featureGroup();
    state.layers = L.control.layers(null, {"Sites": state.sites, "Outreach coverage": state.outreach},
                                     {collapsed: false}).addTo(map);
    initUnmet(map);
    if (config.bounds) map.fitBounds(config.bounds);
    $("measure-select").value = state.measure;
    syncOptionControl();

    try {
      // Geometry, the run and (for a whole-menu measure) its values are fetched at once.
      // The page preloads these very URLs (config.first_requests), so they may have arrived already.
      const first = config.first_requests;
      const shapesPromise = getJSON(first.shapes);
      const runPromise = state.runId ? loadRun(state.runId) : Promise.resolve();
      const valuesPromise = !state.runId ? Promise.resolve(null)
        : first.values ? getJSON(first.values) : runPromise.then(fetchValues);
      const [shapes, , values] = await Promise.all([shapesPromise, runPromise, valuesPromise]);
      performance.mark("map-data-received");
      state.coarse = decodeShapes(shapes);
      performance.mark("map-shapes-decoded");
      if (values) drawValues(values); else drawWithoutRun();
      performance.mark("map-shapes-added");
      markPainted();
    } catch (err) {
      showError(`The map could not be drawn: ${err.message}`);
      return;
    }
    if (!state.runId) $("run-status").textContent = "No reach run yet: press Recompute to compute one.";

    map.on("zoomend", onZoomEnd);
    map.on("moveend", loadDetailCells);
    $("measure-select").addEventListener("change", (e) => {
      state.measure = e.target.value;
      syncOptionControl();
      optionChanged();
      loadValues().catch((err) => showError(err.message));
    });
    $("option-select").addEventListener("change", (e) => {
      state.option = e.target.value;
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

    updateLinks();
    const overview = await refreshRuns().catch((err) => { showError(err.message); return null; });
    loadCharts().catch((err) => showError(err.message));
    loadSites().catch((err) => showError(`Sites could not be loaded: ${err.message}`));
    loadOutreach().catch((err) => showError(`Outreach could not be loaded: ${err.message}`));
    if (config.locality) {
      const match = await getJSON(`${urls.localities}?${new URLSearchParams({q: config.locality})}`).catch(() => null);
      const item = match && match.results.find((r) => r.code === config.locality);
      if (item) { map.setView(item.origin, Math.max(map.getZoom(), 11)); openPanel(item.id); }
    }
    if (overview && overview.active.length) {
      const latest = overview.active[overview.active.length - 1];
      follow(latest.id, {show: !state.runId || state.runId === overview.current});
    }
  }

  window.equityMapInit = init;
})();
