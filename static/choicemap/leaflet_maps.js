// django-leaflet's start-up code as a static file, so pages need no inline script (the
// Content-Security-Policy forbids it). templates/leaflet/*.html put each map's and each form field's
// options in data attributes; this file may be included once per map: every element starts once.
(function () {
  "use strict";

  // "window.localityPicker" or "L.GeometryField": a dotted name looked up from window.
  function lookup(dotted) {
    return dotted.replace(/^window\./, "").split(".").reduce(function (object, key) {
      return object == null ? undefined : object[key];
    }, window);
  }

  function startField(element) {
    var data = element.dataset;
    var field = {
      fieldid: data.leafletField,
      modifiable: data.modifiable === "true",
      geom_type: data.geomType,
      srid: Number(data.srid)
    };
    window[data.module] = field;
    var callback = function (map, options) {
      field.field_store_class = lookup(data.fieldStoreClass);
      field.precision = options.djoptions.precision;
      var GeometryField = lookup(data.geometryFieldClass);
      new GeometryField(field).addTo(map);
    };
    window[data.callback] = callback;
    if (data.targetMap) {
      window.addEventListener("map:init", function (event) {
        var targetMap = event.detail.map;
        targetMap.on("map:loadfield", function (loaded) {
          if (loaded.fieldid === "id_" + data.targetMap) {
            setTimeout(function () { callback(targetMap, event.detail.options); }, 0);
          }
        });
      }, false);
    }
  }

  function startMap(element) {
    var data = element.dataset;
    var globals = data.globals === "true";
    function loadmap() {
      var options = {
        djoptions: JSON.parse(data.djoptions),
        initfunc: loadmap,
        globals: globals,
        callback: data.callback ? lookup(data.callback) || null : null
      };
      var map = L.Map.djangoMap(data.leafletMap, options);
      if (globals) window["leafletmap" + data.leafletMap] = map;
    }
    var loadevents = JSON.parse(data.loadevents);
    if (loadevents.length === 0) loadmap();
    else loadevents.forEach(function (name) { window.addEventListener(name, loadmap, false); });
    if (globals) window["loadmap" + data.leafletMap] = loadmap;
  }

  document.querySelectorAll("[data-leaflet-field]:not([data-started])").forEach(function (element) {
    element.dataset.started = "1";
    startField(element);
  });
  document.querySelectorAll("[data-leaflet-map]:not([data-started])").forEach(function (element) {
    element.dataset.started = "1";
    startMap(element);
  });
})();
