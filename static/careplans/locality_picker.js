// Pick the home locality on the map: clicking an outline selects it in the list, and the list
// highlights its outline. django-leaflet makes the map (with the configured basemap, if any) and
// calls this; the outlines alone are enough to find a place when no tiles can be reached.
window.localityPicker = function (map) {
  var select = document.getElementById("id_home_locality");
  var data = JSON.parse(document.getElementById("locality-data").textContent);
  var base = { color: "#0b3d59", weight: 1, fillOpacity: 0.08 };
  var chosen = { color: "#c05a00", weight: 3, fillOpacity: 0.4 };
  var layers = {};
  var outlines = L.geoJSON(data, {
    style: function () { return base; },
    onEachFeature: function (feature, layer) {
      layers[String(feature.id)] = layer;
      // Leaflet puts a string tooltip in as HTML: the locality's name goes in as text instead.
      var label = document.createElement("span");
      label.textContent = feature.properties.name;
      layer.bindTooltip(label);
      layer.on("click", function () {
        select.value = String(feature.id);
        highlight();
      });
    }
  }).addTo(map);
  map.fitBounds(outlines.getBounds());

  function highlight() {
    Object.keys(layers).forEach(function (id) { layers[id].setStyle(id === select.value ? chosen : base); });
    if (layers[select.value]) layers[select.value].bringToFront();
  }
  select.addEventListener("change", highlight);
  highlight();
};
