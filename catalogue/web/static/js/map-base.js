/* What every map of the catalogue shares: Leaflet with the page's words, the world outline
   (Natural Earth, vendored: it needs no network) as the base layer, and online tiles on top
   only when the site configured a tile server (CATALOGUE_TILE_URL), with their attribution.
   Loaded as a file (CSP: no inline script). */
window.CatalogueMap = (function () {
  "use strict";

  function outline(map, url) {
    if (!url || typeof topojson === "undefined" || !window.fetch) { return; }
    map.createPane("outline");
    map.getPane("outline").style.zIndex = 150;  // under tiles (200) and the records (400)
    map.attributionControl.addAttribution(
      '<a href="https://www.naturalearthdata.com/" hreflang="en">Natural Earth</a>');
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (topology) {
      L.geoJSON(topojson.feature(topology, topology.objects.countries), {
        pane: "outline", interactive: false,
        style: { color: "#9a9a9a", weight: 0.6, fillColor: "#f4f1e8", fillOpacity: 1 }
      }).addTo(map);
      map.getContainer().setAttribute("data-outline", "drawn");
    }).catch(function () {
      map.getContainer().setAttribute("data-outline", "failed");
    });
  }

  function create(element, options) {
    var settings = { scrollWheelZoom: false, zoomControl: false, minZoom: 1, maxZoom: 18, worldCopyJump: true };
    for (var key in options || {}) { settings[key] = options[key]; }
    L.Icon.Default.imagePath = element.getAttribute("data-images") || L.Icon.Default.imagePath;
    var map = L.map(element, settings);
    L.control.zoom({ zoomInTitle: element.getAttribute("data-zoom-in") || "Zoom in",
                     zoomOutTitle: element.getAttribute("data-zoom-out") || "Zoom out" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" hreflang="en">Leaflet</a>');
    outline(map, element.getAttribute("data-outline"));
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { attribution: element.getAttribute("data-attribution") || "", maxZoom: 18 }).addTo(map);
    }
    return map;
  }

  function ready(callback) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", callback); }
    else { callback(); }
  }

  return { create: create, ready: ready };
})();
