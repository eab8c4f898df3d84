/* ChoroplethCanvas: tens of thousands of filled polygons on one Leaflet canvas.
 *
 * Leaflet's own L.Polygon costs tens of microseconds per shape to create, add and project, which
 * is seconds for England's ~34k localities. This renderer keeps each locality as plain arrays
 * (id → rings of [lat, lng]) and draws them all in one pass; it reuses L.Canvas for panning,
 * zoom animation and canvas sizing. Clicks are hit-tested here and reported by feature id.
 */

function pointInRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 2; i < ring.length; j = i, i += 2) {
    const xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export const ChoroplethCanvas = L.Canvas.extend({
  options: {
    outline: "#ffffff",       // drawn between localities once they are big enough to see it
    outlineMinZoom: 9,
    selectedOutline: "#000000",
    fillOpacity: 0.85,
    onFeatureClick: null,     // function (id, event)
  },

  initialize: function (options) {
    L.Canvas.prototype.initialize.call(this, options);
    this._features = new Map();  // id → {latlngs, colour, rings: [Float64Array x,y,…], box, projectedFor}
    this._selected = null;
  },

  // ---- the features ----------------------------------------------------------------------

  size: function () { return this._features.size; },
  ids: function () { return Array.from(this._features.keys()); },
  has: function (id) { return this._features.has(id); },
  colourOf: function (id) { const f = this._features.get(id); return f ? f.colour : null; },

  /** latlngs: polygons → rings → [lat, lng] points (a MultiPolygon, as Leaflet nests them). */
  setFeature: function (id, latlngs, colour) {
    const feature = this._features.get(id);
    if (feature) {
      feature.latlngs = latlngs;
      feature.projectedFor = "";
      if (colour) feature.colour = colour;
    } else {
      this._features.set(id, {latlngs: latlngs, colour: colour, rings: null, box: null, projectedFor: ""});
    }
    this._scheduleRedraw();
  },

  setColour: function (id, colour) {
    const feature = this._features.get(id);
    if (feature && feature.colour !== colour) { feature.colour = colour; this._scheduleRedraw(); }
  },

  /** The line between localities and the zoom it is drawn from. */
  setOutline: function (outline, minZoom) {
    if (this.options.outline === outline && this.options.outlineMinZoom === minZoom) return;
    this.options.outline = outline;
    this.options.outlineMinZoom = minZoom;
    this._scheduleRedraw();
  },

  removeFeature: function (id) {
    if (this._features.delete(id)) this._scheduleRedraw();
  },

  setSelected: function (id) {
    this._selected = id;
    this._scheduleRedraw();
  },

  featureAt: function (layerPoint) {
    const key = this._projectionKey();
    let found = null;
    for (const [id, feature] of this._features) {
      if (feature.projectedFor !== key) continue;  // not drawn in this view
      const box = feature.box;
      if (layerPoint.x < box[0] || layerPoint.x > box[2] || layerPoint.y < box[1] || layerPoint.y > box[3]) continue;
      let inside = false;
      for (const ring of feature.rings) if (pointInRing(layerPoint.x, layerPoint.y, ring)) inside = !inside;
      if (inside) found = id;
    }
    return found;
  },

  // ---- drawing -------------------------------------------------------------------------------

  _scheduleRedraw: function () {
    if (this._map && !this._redrawRequest) this._redrawRequest = L.Util.requestAnimFrame(this._redraw, this);
  },

  _projectionKey: function () {
    const origin = this._map.getPixelOrigin();
    return `${this._map.getZoom()}:${origin.x}:${origin.y}`;
  },

  _projector: function () {
    const map = this._map, zoom = map.getZoom(), origin = map.getPixelOrigin();
    if (map.options.crs !== L.CRS.EPSG3857) {
      return (lat, lng) => map.project([lat, lng], zoom).subtract(origin);
    }
    // Spherical Mercator inline (what L.CRS.EPSG3857 computes): ~10× faster than map.project
    // for the quarter of a million points of a national map.
    const scale = map.options.crs.scale(zoom), d = Math.PI / 180, max = 85.0511287798;
    return (lat, lng) => {
      const sin = Math.sin(Math.max(Math.min(max, lat), -max) * d);
      return {x: scale * (lng / 360 + 0.5) - origin.x,
              y: scale * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) - origin.y};
    };
  },

  _project: function (feature, key, project) {
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const rings = [];
    for (const polygon of feature.latlngs) {
      for (const ring of polygon) {
        const xy = new Float64Array(ring.length * 2);
        for (let i = 0; i < ring.length; i++) {
          const p = project(ring[i][0], ring[i][1]);
          xy[2 * i] = p.x;
          xy[2 * i + 1] = p.y;
          if (p.x < box[0]) box[0] = p.x;
          if (p.y < box[1]) box[1] = p.y;
          if (p.x > box[2]) box[2] = p.x;
          if (p.y > box[3]) box[3] = p.y;
        }
        rings.push(xy);
      }
    }
    feature.rings = rings;
    feature.box = box;
    feature.projectedFor = key;
  },

  _trace: function (ctx, feature) {
    for (const ring of feature.rings) {
      ctx.moveTo(ring[0], ring[1]);
      for (let i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i], ring[i + 1]);
      ctx.closePath();
    }
  },

  _paint: function (ctx, features, colour, outline) {
    ctx.beginPath();
    for (const feature of features) this._trace(ctx, feature);
    ctx.fillStyle = colour;
    ctx.fill("evenodd");
    if (outline) ctx.stroke();
  },

  // L.Canvas calls this whenever the view changes; there are no Leaflet layers to update.
  _updatePaths: function () {
    if (this._postponeUpdatePaths) return;
    this._redrawBounds = null;
    this._redraw();
  },

  _draw: function () {
    if (!this._map || !this._bounds) return;
    const ctx = this._ctx, view = this._bounds, key = this._projectionKey();
    const outline = this._map.getZoom() >= this.options.outlineMinZoom;
    let project = null;
    ctx.save();
    ctx.globalAlpha = this.options.fillOpacity;
    ctx.lineWidth = 0.6;
    ctx.strokeStyle = this.options.outline;
    // One fill per locality: Skia fills many small paths far faster than one huge path.
    for (const feature of this._features.values()) {
      if (feature.projectedFor !== key) this._project(feature, key, project = project || this._projector());
      const box = feature.box;
      if (box[2] < view.min.x || box[0] > view.max.x || box[3] < view.min.y || box[1] > view.max.y) continue;
      this._paint(ctx, [feature], feature.colour, outline);
    }
    const selected = this._features.get(this._selected);
    if (selected) {
      ctx.globalAlpha = 1;
      ctx.lineWidth = 3;
      ctx.strokeStyle = this.options.selectedOutline;
      ctx.beginPath();
      this._trace(ctx, selected);
      ctx.stroke();
    }
    ctx.restore();
  },

  // ---- pointer -----------------------------------------------------------------------------

  _onClick: function (e) {
    if (e.type === "click" && this.options.onFeatureClick && !this._map._draggableMoved(this._map)) {
      const id = this.featureAt(this._map.mouseEventToLayerPoint(e));
      if (id !== null) this.options.onFeatureClick(id, e);
    }
    this._fireEvent(false, e);
  },

  _onMouseMove: function (e) {
    if (!this._map || this._map.dragging.moving() || this._map._animatingZoom || this._hoverRequest) return;
    const point = this._map.mouseEventToLayerPoint(e);
    this._hoverRequest = L.Util.requestAnimFrame(() => {
      this._hoverRequest = null;
      if (this._container) this._container.style.cursor = this.featureAt(point) !== null ? "pointer" : "";
    });
  },

  _handleMouseOut: function () {
    if (this._container) this._container.style.cursor = "";
  },
});

export const choroplethCanvas = (options) => new ChoroplethCanvas(options);
