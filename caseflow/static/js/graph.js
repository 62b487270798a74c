/* CaseFlow graph view: renders the JSON island #graph-data with cytoscape.js (vendored).
   No inline script (strict CSP); text is set with textContent only. */
(function () {
  "use strict";
  var island = document.getElementById("graph-data");
  var holder = document.getElementById("graph");
  if (!island || !holder || typeof cytoscape !== "function") { return; }
  var data = JSON.parse(island.textContent);
  var statusLine = document.getElementById("graph-status");
  var COLOURS = {
    phone: "#1565c0", email: "#6a1b9a", wallet: "#ef6c00", account: "#2e7d32", ad: "#c62828",
    url: "#00838f", domain: "#00838f", ip_address: "#4e342e", person: "#37474f",
    organization: "#455a64", service_provider: "#283593", bank_account: "#9e9d24",
    device: "#5d4037", jurisdiction: "#546e7a", hit: "#b71c1c"
  };
  function say(text) { statusLine.textContent = text; }

  var cy = cytoscape({
    container: holder,
    elements: data.nodes.concat(data.edges),
    wheelSensitivity: 0.3,
    minZoom: 0.1,
    maxZoom: 1.5,  // small graphs would otherwise be blown up to fill the frame
    style: [
      { selector: "node", style: {
          "background-color": function (n) { return COLOURS[n.data("kind")] || "#607d8b"; },
          "label": "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 4,
          "width": 22, "height": 22, "text-wrap": "ellipsis", "text-max-width": 120 } },
      { selector: "node[kind = 'hit']", style: { "shape": "diamond", "width": 28, "height": 28 } },
      { selector: "node[kind = 'ad']", style: { "shape": "round-rectangle" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#ffb300" } },
      { selector: "edge", style: {
          "width": 1.5, "line-color": "#90a4ae", "target-arrow-shape": "triangle",
          "target-arrow-color": "#90a4ae", "curve-style": "bezier", "label": "data(type)",
          "font-size": 8, "text-rotation": "autorotate", "color": "#455a64" } },
      { selector: "edge[type = 'ALSO_IN']", style: { "line-style": "dashed", "line-color": "#b71c1c" } },
      { selector: ".path", style: { "line-color": "#ffb300", "target-arrow-color": "#ffb300", "width": 4 } },
      { selector: ".hidden-by-filter", style: { "display": "none" } }
    ],
    layout: { name: "cose", animate: false }
  });

  function buildFilter(containerId, values, attr) {
    var box = document.getElementById(containerId);
    values.sort().forEach(function (value) {
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.type = "checkbox"; input.checked = true; input.value = value;
      input.addEventListener("change", function () {
        var selector = (attr === "kind" ? "node" : "edge") + "[" + attr + " = '" + value.replace(/'/g, "") + "']";
        cy.elements(selector).toggleClass("hidden-by-filter", !input.checked);
      });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + value.replace(/_/g, " ")));
      box.appendChild(label);
    });
  }
  function distinct(collection, key) {
    var seen = {};
    collection.forEach(function (el) { seen[el.data(key)] = true; });
    return Object.keys(seen);
  }
  buildFilter("kind-filter", distinct(cy.nodes(), "kind"), "kind");
  buildFilter("type-filter", distinct(cy.edges(), "type"), "type");

  var expandBtn = document.getElementById("expand-btn");
  var pathBtn = document.getElementById("path-btn");
  function selectedEntities() { return cy.nodes(":selected").filter(function (n) { return n.data("entity_id"); }); }
  cy.on("select unselect", "node", function () {
    var sel = selectedEntities();
    expandBtn.disabled = sel.length !== 1;
    pathBtn.disabled = sel.length !== 2;
  });

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); });
  }
  expandBtn.addEventListener("click", function () {
    var node = selectedEntities()[0];
    var url = holder.dataset.expandUrl.replace(/\/0\.json$/, "/" + node.data("entity_id") + ".json");
    say("Expanding " + node.data("label") + "...");
    fetchJson(url).then(function (more) {
      var added = cy.add(more.nodes.concat(more.edges).filter(function (el) { return cy.getElementById(el.data.id).empty(); }));
      cy.layout({ name: "cose", animate: false }).run();
      say("Added " + added.length + " elements around " + node.data("label") + ".");
    }).catch(function (e) { say("Could not expand: " + e.message); });
  });
  pathBtn.addEventListener("click", function () {
    var sel = selectedEntities();
    var url = holder.dataset.pathUrl.replace(/\/0\/0\.json$/, "/" + sel[0].data("entity_id") + "/" + sel[1].data("entity_id") + ".json");
    cy.elements().removeClass("path");
    fetchJson(url).then(function (result) {
      if (!result.paths.length) { say("No visible path of up to 4 links."); return; }
      result.paths.forEach(function (p) {
        p.edges.forEach(function (id) { cy.getElementById(id).addClass("path"); });
      });
      say(result.paths.length + " shortest path(s), " + result.paths[0].edges.length + " links long, highlighted.");
    }).catch(function (e) { say("Could not find a path: " + e.message); });
  });
  document.getElementById("png-link").addEventListener("click", function (event) {
    event.currentTarget.href = cy.png({ full: true, bg: "#ffffff", scale: 2 });
  });
  if (holder.dataset.focus) {
    var focus = cy.getElementById(holder.dataset.focus);
    if (focus.nonempty()) { focus.select(); cy.center(focus); }
  }
  say(cy.nodes().length + " nodes, " + cy.edges().length + " links.");
}());
