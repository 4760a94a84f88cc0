/* The public city map: the boundary and switchable layers (neglected sites, proposals,
   completed projects), each fetched once per view. Layers and filters live in the query
   string (the filter form reloads the page), the view in the hash (#zoom/lat/lon), so a
   map can be shared as a link. */
(function () {
  "use strict";
  var config = WCS.readJson("map-config");
  var messages = WCS.readJson("map-messages");
  var status = document.getElementById("map-status");
  var container = document.getElementById("map");

  var parts = { boundary: "", layers: "" };
  function say(key, text) {
    parts[key] = text;
    if (status) { status.textContent = [parts.boundary, parts.layers].join(" ").trim(); }
  }

  var map = L.map("map", { keyboard: true });
  window.cityMap = map; // for debugging and browser tests
  window.mapLayerIds = {};

  function viewFromHash() {
    var m = /^#(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(window.location.hash);
    return m ? { zoom: +m[1], center: [+m[2], +m[3]] } : null;
  }
  var shared = viewFromHash();
  if (shared) {
    map.setView(shared.center, shared.zoom);
  } else if (config.center && config.zoom !== null) {
    map.setView(config.center, config.zoom);
  } else {
    map.fitBounds(config.bounds);
  }
  map.on("moveend", function () {
    var c = map.getCenter();
    var hash = "#" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
    history.replaceState(null, "", window.location.pathname + window.location.search + hash);
    // links that keep the state (filters + view) follow it
    document.querySelectorAll("a[data-keep-view]").forEach(function (a) {
      a.hash = hash;
    });
  });
  WCS.addBasemap(map, config.tiles);
  // the boundary refits the view only if nobody has moved the map in the meantime
  var initialView = map.getCenter().toString() + map.getZoom();

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  getJson(config.boundaryUrl).then(function (feature) {
    var layer = L.geoJSON(feature, {
      interactive: false,
      style: { className: "city-boundary", color: "#1f5f8b", weight: 3, fill: true, fillOpacity: 0.04 }
    }).addTo(map);
    var untouched = map.getCenter().toString() + map.getZoom() === initialView;
    if (!shared && untouched && !(config.center && config.zoom !== null)) {
      map.fitBounds(layer.getBounds());
    }
    container.setAttribute("data-boundary-loaded", "true");
    say("boundary", messages.boundaryLoaded || "");
  }).catch(function () {
    say("boundary", messages.boundaryFailed || "The city boundary could not be loaded.");
  });

  function pageUrl(layer, id) { return config.pages[layer].replace(/0\/$/, id + "/"); }
  var labels = config.labels;

  // One popup builder per layer; all text goes through textContent (WCS.el).
  var popups = {
    proposals: function (p) {
      return WCS.proposalPopup({
        title: p.title, support_count: p.support_count, url: pageUrl("proposals", p.id),
        status_label: labels.status[p.status] || p.status,
        category_label: labels.category[p.category] || ""
      }, messages);
    },
    sites: function (p) {
      var box = WCS.el("div", null, "popup");
      box.appendChild(WCS.el("strong", p.name));
      box.appendChild(WCS.el("div", labels.condition[p.condition] || p.condition, "popup-status"));
      if (p.district) { box.appendChild(WCS.el("div", p.district)); }
      var a = WCS.el("a", messages.open || "Open"); a.href = pageUrl("sites", p.id);
      box.appendChild(a);
      return box;
    },
    interventions: function (p) {
      var box = WCS.el("div", null, "popup");
      box.appendChild(WCS.el("strong", p.title));
      box.appendChild(WCS.el("div", labels.category[p.category] || "", "popup-status"));
      box.appendChild(WCS.el("div", p.completed + " · " + (labels.sustainability[p.sustainability] || "")));
      var a = WCS.el("a", messages.open || "Open"); a.href = pageUrl("interventions", p.id);
      box.appendChild(a);
      return box;
    }
  };

  function marker(layer, latlng, p) {
    if (layer === "proposals") { return WCS.statusMarker(latlng, p.status); }
    return L.circleMarker(latlng, {
      radius: layer === "sites" ? 7 : 9, weight: 2, color: "#ffffff", fillOpacity: 0.95,
      fillColor: layer === "sites" ? WCS.SITE_COLORS[p.condition] : "#2c7a3f",
      className: layer === "sites" ? "site-marker condition-" + p.condition : "intervention-marker " + p.sustainability
    });
  }

  // Reference layers (zones, green and blue areas, districts) under our points.
  var REF_STYLES = {
    revitalisation_zone: { color: "#6a3d9a", fillOpacity: 0.08, dashArray: "6 4" },
    revitalisation_subzone: { color: "#6a3d9a", fillOpacity: 0.04, weight: 1 },
    park: { color: "#33a02c", fillOpacity: 0.3 }, forest: { color: "#1b5e20", fillOpacity: 0.3 },
    meadow: { color: "#8bc34a", fillOpacity: 0.3 }, allotments: { color: "#b2df8a", fillOpacity: 0.3 },
    water_body: { color: "#1f78b4", fillOpacity: 0.4 }, river: { color: "#1f78b4", weight: 4 },
    rain_garden: { color: "#a6cee3", fillOpacity: 0.4 }, district: { color: "#555", fill: false, weight: 1 }
  };
  // a reference layer comes in pages of up to 10,000 features: follow the next links
  function getAll(url, features) {
    return getJson(url).then(function (page) {
      var all = (features || []).concat(page.features);
      var next = (page.links || []).filter(function (l) { return l.rel === "next"; })[0];
      return next ? getAll(next.href, all) : { type: "FeatureCollection", features: all };
    });
  }
  (config.reference || []).forEach(function (ref) {
    getAll(ref.url).then(function (collection) {
      var style = REF_STYLES[ref.kind] || { color: "#777", fillOpacity: 0.1 };
      style.className = "ref-layer ref-" + ref.kind;
      L.geoJSON(collection, {
        style: style,
        onEachFeature: function (feature, layer) {
          layer.bindPopup(function () {
            var box = WCS.el("div", null, "popup");
            box.appendChild(WCS.el("strong", feature.properties.name || ref.name));
            box.appendChild(WCS.el("div", ref.name, "popup-status"));
            return box;
          });
        }
      }).addTo(map).bringToBack();
      container.setAttribute("data-" + ref.id + "-loaded", String(collection.features.length));
    }).catch(function () { say("layers", messages.failed || ""); });
  });

  var counts = {};
  // A large layer is drawn from vector tiles (aggregated at low zooms): the first page tells.
  var tiledLayers = [];
  map.on("click", function (e) {
    if (!tiledLayers.length) { return; }
    var near = map.getZoom() < WCS.AGGREGATED_BELOW ? 12 : 8; // pixels
    var pt = map.latLngToContainerPoint(e.latlng);
    var sw = map.containerPointToLatLng([pt.x - near, pt.y + near]);
    var ne = map.containerPointToLatLng([pt.x + near, pt.y - near]);
    var bbox = [sw.lng, sw.lat, ne.lng, ne.lat].map(function (v) { return v.toFixed(6); }).join(",");
    Promise.all(tiledLayers.map(function (layer) {
      var query = config.tileQuery[layer];
      return getJson(config.urls[layer] + "?limit=2&bbox=" + bbox + (query ? "&" + query : ""))
        .then(function (found) { return { layer: layer, found: found }; });
    })).then(function (results) {
      var hit = results.filter(function (r) { return r.found.numberMatched > 0; })[0];
      if (!hit) { return; }
      if (hit.found.numberMatched > 1 && map.getZoom() < 17) {
        map.setView(e.latlng, Math.min(map.getZoom() + 2, 18));
        return;
      }
      var f = hit.found.features[0];
      var c = f.geometry.coordinates;
      L.popup().setLatLng([c[1], c[0]]).setContent(popups[hit.layer](f.properties)).openOn(map);
    }).catch(function () { say("layers", messages.failed || ""); });
  });
  function addTiles(layer, matched) {
    var styles = {};
    styles[layer] = WCS.tileStyle(layer);
    var query = config.tileQuery[layer];
    // Not interactive (VectorGrid's point events lack a position in Leaflet 1.9): a click
    // on the map asks the API for the features under the pointer instead.
    var tiles = L.vectorGrid.protobuf(config.vectorTiles[layer] + (query ? "?" + query : ""), {
      rendererFactory: L.canvas.tile, interactive: false, maxNativeZoom: 18,
      vectorTileLayerStyles: styles, attribution: ""
    });
    tiledLayers.push(layer);
    map.addLayer(tiles);
    counts[layer] = matched;
    container.setAttribute("data-" + layer + "-loaded", "tiles");
  }

  var pending = config.layers.map(function (layer) {
    var url = config.urls[layer] + "?" + (config.query ? config.query + "&" : "") +
      "limit=" + config.tilesAbove;
    return getJson(url).then(function (collection) {
      if (collection.numberMatched > collection.numberReturned) {
        return addTiles(layer, collection.numberMatched);
      }
      var group = layer === "interventions" ? L.featureGroup() :
        L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
      var markers = collection.features.map(function (feature) {
        var c = feature.geometry.coordinates;
        var m = marker(layer, [c[1], c[0]], feature.properties);
        m.bindPopup(function () { return popups[layer](feature.properties); });
        return m;
      });
      if (group.addLayers) { group.addLayers(markers); } else { markers.forEach(function (m) { group.addLayer(m); }); }
      map.addLayer(group);
      window.mapLayerIds[layer] = collection.features.map(function (f) { return f.id; });
      counts[layer] = markers.length;
      container.setAttribute("data-" + layer + "-loaded", String(markers.length));
    });
  });
  // "New near here, by e-mail": the place is the map's centre, marked by a cross and the
  // chosen distance once the form is used; the form is hidden without this script.
  var nearForm = document.getElementById("near-alert-form");
  if (nearForm) {
    var cameForIt = window.location.hash === "#near-alert"; // the lists' link to it
    nearForm.hidden = false;
    var nearArea = null;
    var showNear = function () {
      var centre = map.getCenter();
      var metres = +nearForm.elements.radius.value;
      if (!nearArea) {
        nearArea = L.layerGroup([
          L.circle(centre, { radius: metres, interactive: false, className: "near-alert-area",
            color: "#1f5f8b", weight: 2, dashArray: "6 4", fillOpacity: 0.06 }),
          L.marker(centre, { interactive: false, keyboard: false,
            icon: L.divIcon({ className: "near-alert-cross", iconSize: [22, 22] }) })
        ]).addTo(map);
        container.setAttribute("data-near-area", "shown");
      }
      nearArea.eachLayer(function (layer) {
        layer.setLatLng(centre);
        if (layer.setRadius) { layer.setRadius(metres); }
      });
    };
    // say where the cross is (the district, or outside the city), for everyone and for
    // screen readers, once the map has stopped
    var where = document.getElementById("near-alert-where");
    var asked = 0;
    var sayWhere = function () {
      if (!nearArea || !where) { return; }
      var centre = map.getCenter();
      var mine = ++asked;
      getJson(where.dataset.url + "?lon=" + centre.lng.toFixed(5) + "&lat=" + centre.lat.toFixed(5))
        .then(function (place) {
          if (mine !== asked) { return; } // the map moved again meanwhile
          where.textContent = !place.inside ? where.dataset.outside :
            place.district ? where.dataset.district.replace("%(district)s", place.district) :
            where.dataset.city;
        }).catch(function () { where.textContent = ""; });
    };
    map.on("moveend", sayWhere);
    var useNear = function () {
      var first = !nearArea;
      showNear();
      if (first) { sayWhere(); }
    };
    nearForm.addEventListener("focusin", useNear);
    nearForm.addEventListener("mouseenter", useNear);
    nearForm.elements.radius.addEventListener("change", useNear);
    map.on("move", function () { if (nearArea) { showNear(); } });
    if (cameForIt) { // after the browser's own move to the #near-alert anchor, which blurs
      window.addEventListener("load", function () {
        nearForm.elements.radius.focus(); // shows the cross and the distance
        document.getElementById("near-alert").scrollIntoView();
      });
    }
    nearForm.addEventListener("submit", function () {
      var centre = map.getCenter();
      nearForm.elements.near_lon.value = centre.lng.toFixed(5);
      nearForm.elements.near_lat.value = centre.lat.toFixed(5);
      // back to the same view, the form in sight
      nearForm.elements.next.value = window.location.pathname + window.location.search +
        window.location.hash;
    });
  }

  // "Find a district, park or other place" (map_common.js); hidden without this script
  var placeSearch = document.getElementById("place-search");
  if (placeSearch) { WCS.placeSearch(map, placeSearch, container); } // over the map: embed

  Promise.all(pending).then(function () {
    var items = config.layers.map(function (layer) {
      return (messages.layerNames ? messages.layerNames[layer] : layer) + " " + counts[layer];
    });
    container.setAttribute("data-layers-loaded", "true");
    say("layers", (messages.loaded || "%(items)s").replace("%(items)s", items.join(", ")));
  }).catch(function () {
    say("layers", messages.failed || "Some map layers could not be loaded.");
  });
})();
