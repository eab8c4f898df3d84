/* Locality shapes: encoded polylines in two coverage-simplified bands, a coarse one for every
 * locality and a detailed one per grid cell, loaded once the map is zoomed in past
 * config.detail_zoom. Canvases registered here get the detailed shapes as they arrive. */

import {getJSON} from "./api.js";
import {config, urls} from "./config.js";
import {view} from "./view.js";

let coarse = new Map();       // locality id → coarse latlngs
const detail = new Map();     // locality id → detailed latlngs
const loadedCells = new Set();
const canvases = [];          // the locality canvases to keep in step with the zoom

export function decodeShapes(payload) {
  const decoded = new Map();
  payload.ids.forEach((id, i) => {
    decoded.set(id, payload.shapes[i].map((rings) => rings.map((ring) => polyline.decode(ring, payload.precision))));
  });
  return decoded;
}

export function shapesUrl(params) {
  return `${urls.shapes}?${new URLSearchParams(Object.assign({v: config.geometry_version}, params))}`;
}

export function setCoarse(payload) {
  coarse = decodeShapes(payload);
}

export const coarseIds = () => [...coarse.keys()];
export const coarseLatlngs = (id) => coarse.get(id);

/** A canvas that draws localities by id and should swap in detailed shapes when zoomed in. */
export function addCanvas(canvas) {
  canvases.push(canvas);
}

const wantsDetail = () => view.map.getZoom() >= config.detail_zoom;

/** The shape to draw for a locality at the current zoom. */
export const latlngsFor = (id) => (wantsDetail() && detail.get(id)) || coarse.get(id);

export async function loadDetailCells() {
  if (!wantsDetail()) return;
  const size = config.detail_cell_degrees;
  const bounds = view.map.getBounds();
  const wanted = [];
  for (let x = Math.floor(bounds.getWest() / size); x <= Math.floor(bounds.getEast() / size); x++) {
    for (let y = Math.floor(bounds.getSouth() / size); y <= Math.floor(bounds.getNorth() / size); y++) {
      const key = `${x},${y}`;
      if (!loadedCells.has(key)) { loadedCells.add(key); wanted.push(key); }
    }
  }
  await Promise.all(wanted.map(async (cell) => {
    try {
      const decoded = decodeShapes(await getJSON(shapesUrl({band: "detail", cell: cell})));
      for (const [id, latlngs] of decoded) {
        detail.set(id, latlngs);
        for (const shapes of canvases) if (shapes.has(id) && wantsDetail()) shapes.setFeature(id, latlngs);
      }
    } catch {
      loadedCells.delete(cell);  // try again on the next move
    }
  }));
}

export function onZoomEnd() {
  // Crossing the band boundary swaps shapes that have both bands; the rest keep their coarse one.
  for (const id of detail.keys()) {
    for (const shapes of canvases) if (shapes.has(id)) shapes.setFeature(id, latlngsFor(id));
  }
  loadDetailCells();
}
