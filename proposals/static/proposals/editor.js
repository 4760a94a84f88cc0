/* The proposal editor: drop a pin or draw the area (Leaflet.draw), coordinates as a keyboard
   alternative, and autosave of drafts. Geometry goes to hidden inputs as GeoJSON; the server
   validates it (and refuses self-intersections rather than repairing them). */
(function () {
  "use strict";
  var config = WCS.readJson("editor-config");
  var form = document.querySelector("form[data-map-editor]");
  var geomInput = form.querySelector("input[name=geom]");
  var areaInput = form.querySelector("input[name=area]");
  var latInput = form.querySelector("input[name=latitude]");
  var lonInput = form.querySelector("input[name=longitude]");
  var statusBox = document.getElementById("autosave-status");

  var map = L.map("editor-map", { keyboard: true });
  window.editorMap = map;
  // "Find a district, park or other place" above the map, to pin a project there
  var placeSearch = document.getElementById("place-search");
  if (placeSearch) {
    WCS.placeSearch(map, placeSearch, document.getElementById("editor-map"), function (latlng) {
      latInput.value = latlng.lat.toFixed(6);
      lonInput.value = latlng.lng.toFixed(6);
      fromTyped(); // as typed coordinates: the pin, the view and what is near
      scheduleSave();
    });
  }
  map.fitBounds(config.bounds);
  WCS.addBasemap(map, config.tiles);
  fetch(config.boundaryUrl).then(function (r) { return r.json(); }).then(function (f) {
    L.geoJSON(f, { interactive: false, style: { className: "city-boundary", color: "#1f5f8b", weight: 2, fillOpacity: 0.03 } }).addTo(map);
  }).catch(function () {});

  var drawn = new L.FeatureGroup().addTo(map);

  function setInputsFrom(layer) {
    if (layer instanceof L.Polygon) {
      areaInput.value = JSON.stringify(layer.toGeoJSON().geometry);
      geomInput.value = "";
      latInput.value = ""; lonInput.value = "";
    } else if (layer instanceof L.Marker) {
      var ll = layer.getLatLng();
      geomInput.value = JSON.stringify({ type: "Point", coordinates: [ll.lng, ll.lat] });
      areaInput.value = "";
      latInput.value = ll.lat.toFixed(6); lonInput.value = ll.lng.toFixed(6);
    }
    scheduleSave();
  }

  if (config.area) {
    L.geoJSON(config.area).eachLayer(function (l) { drawn.addLayer(l); });
    map.fitBounds(drawn.getBounds(), { maxZoom: 18 });
  } else if (config.point) {
    var c = config.point.coordinates;
    drawn.addLayer(L.marker([c[1], c[0]]));
    map.setView([c[1], c[0]], 17);
  }

  var drawControl = new L.Control.Draw({
    position: "topright",
    draw: {
      polygon: { allowIntersection: false, showArea: true },
      marker: true, polyline: false, rectangle: false, circle: false, circlemarker: false
    },
    edit: { featureGroup: drawn }
  });
  map.addControl(drawControl);

  map.on(L.Draw.Event.CREATED, function (event) {
    drawn.clearLayers();
    drawn.addLayer(event.layer);
    setInputsFrom(event.layer);
  });
  map.on(L.Draw.Event.EDITED, function () { drawn.eachLayer(setInputsFrom); });
  map.on(L.Draw.Event.DELETED, function () {
    geomInput.value = ""; areaInput.value = ""; scheduleSave();
  });

  // What is already near the place (config.nearby: a collection of the REST API), so a
  // resident can support or look at it instead of proposing or reporting it twice. Titles
  // go in as text, never as HTML.
  var nearbyBox = null;
  var NEARBY_M = 150;
  function showNearby(lat, lon) {
    var near = config.nearby;
    if (!near) { return; }
    if (!nearbyBox) {
      nearbyBox = document.createElement("div");
      nearbyBox.id = "nearby";
      nearbyBox.className = "nearby";
      nearbyBox.setAttribute("role", "status");
      document.getElementById("editor-map").insertAdjacentElement("afterend", nearbyBox);
    }
    var dLat = NEARBY_M / 111320, dLon = NEARBY_M / (111320 * Math.cos(lat * Math.PI / 180));
    var bbox = [lon - dLon, lat - dLat, lon + dLon, lat + dLat].map(function (v) { return v.toFixed(6); });
    fetch(near.url + "?limit=6&bbox=" + bbox.join(","), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        var found = (data.features || []).filter(function (f) { return f.id !== near.exclude; }).slice(0, 5);
        nearbyBox.textContent = "";
        if (!found.length) { return; }
        var heading = document.createElement("p");
        heading.textContent = near.heading;
        var list = document.createElement("ul");
        found.forEach(function (f) {
          var link = document.createElement("a");
          link.href = near.page.replace("/0/", "/" + f.id + "/");
          link.textContent = f.properties[near.label] || ("#" + f.id);
          link.target = "_blank";
          link.rel = "noopener";
          var item = document.createElement("li");
          item.appendChild(link);
          list.appendChild(item);
        });
        nearbyBox.appendChild(heading);
        nearbyBox.appendChild(list);
      }).catch(function () {});
  }
  map.on(L.Draw.Event.CREATED, function (event) {
    var c = event.layer.getBounds ? event.layer.getBounds().getCenter() : event.layer.getLatLng();
    showNearby(c.lat, c.lng);
  });

  // Typed coordinates (keyboard alternative) move the pin.
  function fromTyped() {
    var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
    if (isNaN(lat) || isNaN(lon)) { return; }
    drawn.clearLayers();
    drawn.addLayer(L.marker([lat, lon]));
    geomInput.value = JSON.stringify({ type: "Point", coordinates: [lon, lat] });
    areaInput.value = "";
    map.setView([lat, lon], Math.max(map.getZoom(), 16));
    showNearby(lat, lon);
  }
  latInput.addEventListener("change", fromTyped);
  lonInput.addEventListener("change", fromTyped);

  // On the spot with a phone: the device's position places the pin (where the browser may
  // tell it: https, and the person allows it).
  var locateButton = document.getElementById("locate-me");
  var locateStatus = document.getElementById("locate-status");
  if (locateButton && navigator.geolocation && window.isSecureContext) {
    locateButton.parentNode.hidden = false;
    locateButton.addEventListener("click", function () {
      locateStatus.textContent = locateButton.dataset.searching;
      navigator.geolocation.getCurrentPosition(function (position) {
        latInput.value = position.coords.latitude.toFixed(6);
        lonInput.value = position.coords.longitude.toFixed(6);
        fromTyped();
        scheduleSave();
        locateStatus.textContent = locateButton.dataset.found.replace(
          "{m}", String(Math.round(position.coords.accuracy)));
      }, function () {
        locateStatus.textContent = locateButton.dataset.failed;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // Budget total shown as lines are typed, read as the server reads amounts
  // (mapapp/amounts.py: "1 250,50", "1,250.50", "12 000 Kč"; "1.500" is ambiguous) and
  // written in the page's language and the city's currency.
  var totalBox = document.getElementById("budget-total");
  function parseAmount(text) {
    var t = String(text).trim().replace(/(kč|czk|zł|pln|€|eur)\.?$/i, "").replace(/[\s\u00a0\u202f\u2009']/g, "");
    if (!/^[-+]?[\d.,]+$/.test(t) || !/\d/.test(t)) { return NaN; }
    var last = Math.max(t.lastIndexOf(","), t.lastIndexOf("."));
    if (last < 0) { return Number(t); }
    var both = t.indexOf(",") >= 0 && t.indexOf(".") >= 0;
    var count = t.split(t[last]).length - 1;
    var ungroup = function (s, sep) {
      var parts = s.split(sep);
      var head = parts[0].replace(/^[-+]/, "");
      if (head.length < 1 || head.length > 3 || parts.slice(1).some(function (g) { return g.length !== 3; })) { return null; }
      return parts.join("");
    };
    var whole;
    if (both) {
      if (count > 1) { return NaN; }
      whole = ungroup(t.slice(0, last), t[last] === "." ? "," : ".");
      return whole === null ? NaN : Number(whole + "." + t.slice(last + 1));
    }
    if (count > 1) { whole = ungroup(t, t[last]); return whole === null ? NaN : Number(whole); }
    if (t.length - last - 1 === 3) { return NaN; }
    return Number(t.slice(0, last) + "." + t.slice(last + 1));
  }
  var money = null;
  try {
    money = new Intl.NumberFormat(document.documentElement.lang || undefined, {
      style: "currency", currency: totalBox ? totalBox.dataset.currency : "EUR"
    });
  } catch (e) { money = null; }
  function updateTotal() {
    var sum = 0, unreadable = false;
    form.querySelectorAll("input[name=budget_amount]").forEach(function (i) {
      if (!String(i.value).trim()) { return; }
      var v = parseAmount(i.value);
      if (isNaN(v)) { unreadable = true; } else { sum += v; }
    });
    if (!totalBox) { return; }
    var text = money ? money.format(sum) : sum.toFixed(2) + " " + totalBox.dataset.currency;
    totalBox.textContent = unreadable ? text + " + ?" : text;
  }
  form.addEventListener("input", updateTotal);
  updateTotal();

  // What the applicant typed is kept in this tab until the server has it (keep_typed.js),
  // and offered back when a save never arrived. Compared as the server writes it back:
  // words without extra spaces, amounts as numbers, the budget's filled lines, geometry by
  // its vertices (the server may close or turn a ring); the coordinates boxes follow the pin.
  var words = WCS.words;
  function shape(list) {
    var raw = (list && list[0]) || "";
    if (!raw) { return ""; }
    try {
      var g = JSON.parse(raw), seen = {};
      (function walk(c) {
        if (typeof c[0] === "number") { seen[c[0].toFixed(6) + "," + c[1].toFixed(6)] = true; }
        else { c.forEach(walk); }
      })(g.coordinates);
      return g.type + ":" + Object.keys(seen).sort().join(";");
    } catch (e) { return raw; }
  }
  function signature(values) {
    var out = {}, skip = ["latitude", "longitude", "geom", "area", "budget_item", "budget_amount"];
    Object.keys(values).sort().forEach(function (name) {
      if (skip.indexOf(name) < 0) { out[name] = values[name].map(words); }
    });
    var items = values.budget_item || [], amounts = values.budget_amount || [];
    out.budget = items.map(function (item, i) {
      var a = parseAmount(amounts[i] || "");
      return [words(item), isNaN(a) ? words(amounts[i]) : a.toFixed(2)];
    }).filter(function (line) { return line[0] || line[1]; });
    out.place = [shape(values.geom), shape(values.area)];
    return JSON.stringify(out);
  }
  function fromInputs() { // the map after a restore
    drawn.clearLayers();
    var raw = areaInput.value || geomInput.value;
    if (raw) {
      try {
        L.geoJSON(JSON.parse(raw), { pointToLayer: function (f, ll) { return L.marker(ll); } })
          .eachLayer(function (l) { drawn.addLayer(l); });
        map.fitBounds(drawn.getBounds(), { maxZoom: 17 });
      } catch (e) { /* the server says what is wrong with it on saving */ }
    }
    updateTotal();
  }
  var keeper = WCS.keepTyped ? WCS.keepTyped(form, {
    signature: signature, afterRestore: function () { fromInputs(); scheduleSave(); }
  }) : null;

  // Autosave drafts a few seconds after the last change.
  var timer = null;
  function scheduleSave() {
    if (keeper) { keeper.kept(); }
    if (!config.autosaveUrl) { return; }
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  }
  function notSaved(text, link) {
    statusBox.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      statusBox.appendChild(document.createTextNode(" "));
      statusBox.appendChild(a);
    }
    statusBox.className = "autosave error";
  }
  function save() {
    var data = new FormData(form);
    data.delete("consent_document");
    var sent = keeper ? keeper.valuesOf() : null;
    fetch(config.autosaveUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) {
        var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (json && !r.redirected) {
          return r.json().then(function (body) { return { ok: r.ok, body: body }; });
        }
        // the sign-in page (signed out in another tab) or Django's refusal of an expired
        // form (signed in again elsewhere, which renews the form's token)
        return { ok: false, signedOut: r.redirected, expired: r.status === 403, body: {} };
      })
      .then(function (result) {
        var keep = config.keep ? config.keep.messages : null;
        if (result.ok) {
          statusBox.textContent = config.messages.saved;
          statusBox.className = "autosave ok";
          if (keeper) { keeper.saved(sent); }
        } else if (result.signedOut && keep) {
          notSaved(keep.signedOut, { href: config.keep.loginUrl, text: keep.signIn });
        } else if (result.expired && keep) {
          notSaved(keep.expired);
        } else if (result.signedOut || result.expired) {
          notSaved(config.messages.offline);
        } else {
          var errors = [];
          Object.keys(result.body.errors || {}).forEach(function (k) {
            errors = errors.concat(result.body.errors[k]);
          });
          notSaved(config.messages.notSaved + " " + errors.join(" "));
        }
      })
      .catch(function () { statusBox.textContent = config.messages.offline; });
  }
  form.addEventListener("input", scheduleSave);
  form.addEventListener("change", scheduleSave);
})();
