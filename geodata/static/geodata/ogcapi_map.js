/* The small map on OGC API HTML pages: the features of the page (or the one feature),
   from the JSON the page carries. Popups carry text only (textContent). */
(function () {
  "use strict";
  var data = WCS.readJson("ogc-features");
  var collection = Array.isArray(data) ? { type: "FeatureCollection", features: data } : data;
  var map = L.map("ogc-map", { keyboard: true });
  var layer = L.geoJSON(collection, {
    onEachFeature: function (feature, l) {
      l.bindPopup(function () {
        var p = feature.properties || {};
        return WCS.el("div", "#" + feature.id + " " + (p.title || p.name || ""), "popup");
      });
    }
  }).addTo(map);
  if (layer.getLayers().length) {
    map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [20, 20] });
  } else {
    map.setView([0, 0], 1);
  }
  document.getElementById("ogc-map").setAttribute("data-features", String(layer.getLayers().length));
})();
