// The picture of a case's network: its data comes from the JSON address in data-source (no inline script, as
// the Content-Security-Policy requires); Cytoscape.js (vendored, coop/static/js/vendor) draws it.
document.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("network-graph");
  if (!container || typeof cytoscape !== "function") return;

  const READABLE_ZOOM = 0.75;
  const KIND_COLOURS = {
    phone: "#0f766e", account: "#6d28d9", email: "#b45309", ip: "#be123c",
    wallet: "#a16207", transaction: "#a16207", domain: "#1d4ed8",
  };

  const fail = () => {
    container.innerHTML = "";
    const message = document.createElement("div");
    message.className = "network-graph-message";
    message.textContent = container.dataset.empty;
    container.appendChild(message);
  };

  fetch(container.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((graph) => {
      const nodeCount = graph.elements.nodes.length;
      // Past about a hundred nodes, names would cover each other: smaller type, shown once zoomed in enough.
      const crowded = nodeCount > 90;
      const cy = cytoscape({
        container,
        elements: graph.elements,
        minZoom: 0.15,
        maxZoom: 3,
        wheelSensitivity: 0.25,
        style: [
          { selector: "node", style: {
            "label": "data(label)", "font-family": "Inter, system-ui, sans-serif", "font-size": crowded ? 9 : 11,
            "min-zoomed-font-size": crowded ? 4 : 0, "text-valign": "bottom", "text-margin-y": 4,
            "color": "#1b2430", "text-background-color": "#ffffff", "text-background-opacity": 0.85,
            "text-background-padding": 2, "text-background-shape": "roundrectangle",
          } },
          { selector: "node[type = 'case']", style: {
            "shape": "round-rectangle", "width": crowded ? 22 : 30, "height": crowded ? 22 : 30,
            "background-color": "#1d4e89", "border-width": 2, "border-color": "#163d6c", "font-weight": 600,
          } },
          { selector: "node[?center]", style: {
            "background-color": "#f2a900", "border-color": "#b37d00", "width": 40, "height": 40, "font-size": 13,
            "z-index": 10,
          } },
          { selector: "node[type = 'identifier']", style: {
            "shape": "ellipse", "width": crowded ? 12 : 16, "height": crowded ? 12 : 16,
            "background-color": "#ffffff", "border-width": 3,
            "border-color": (node) => KIND_COLOURS[node.data("kind")] || "#7a8699",
            "font-family": "ui-monospace, SFMono-Regular, Menlo, monospace", "font-size": crowded ? 8 : 10,
            "color": "#4a5568", "min-zoomed-font-size": crowded ? 9 : 0,
          } },
          { selector: "edge", style: {
            "width": 1.5, "line-color": "#b8c2cf", "curve-style": "bezier", "opacity": 0.9,
          } },
          { selector: "edge[type = 'link']", style: {
            "line-style": "dashed", "line-color": "#b42318", "width": 2,
          } },
          { selector: "node:active, node.hovered", style: {
            "overlay-opacity": 0.12, "overlay-color": "#1d4e89",
          } },
          { selector: "node.hovered", style: { "min-zoomed-font-size": 0, "z-index": 20 } },
        ],
        // Rings around this case first (a stable start), then a force-directed pass that pulls each identifier
        // towards the cases naming it and pushes everything else apart.
        layout: {
          name: "concentric", animate: false, minNodeSpacing: 12,
          concentric: (node) => (node.data("center") ? 3 : node.data("type") === "identifier" ? 2 : 1),
          levelWidth: () => 1,
        },
      });
      cy.layout({
        name: "cose", animate: false, randomize: false, nodeDimensionsIncludeLabels: true,
        // Crowded pictures are packed tighter, so that they fill the frame at a zoom where case numbers show.
        nodeRepulsion: () => (crowded ? 9000 : 60000), idealEdgeLength: () => (crowded ? 28 : 70),
        edgeElasticity: () => 80, gravity: crowded ? 1.2 : 0.6, numIter: 2500, componentSpacing: 40, padding: 20,
      }).run();
      cy.on("tap", "node", (event) => { window.location.assign(event.target.data("url")); });
      cy.on("mouseover", "node", (event) => {
        event.target.addClass("hovered");
        container.style.cursor = "pointer";
        container.title = event.target.data("type") === "case"
          ? `${event.target.data("label")} · ${event.target.data("title")}`
          : `${event.target.data("kindLabel")}: ${event.target.data("full")}`;
      });
      cy.on("mouseout", "node", (event) => {
        event.target.removeClass("hovered");
        container.style.cursor = "";
        container.title = "";
      });
      cy.fit(undefined, 30);
      // A large network fitted whole is too small to read: start close around this case (names readable), and
      // let the "whole network" button show everything.
      const centre = cy.getElementById(graph.center);
      if (cy.zoom() < READABLE_ZOOM && centre.nonempty()) {
        cy.zoom(READABLE_ZOOM);
        cy.center(centre);
      }
      const whole = document.querySelector("[data-network-fit]");
      if (whole) {
        whole.hidden = false;
        whole.addEventListener("click", () => cy.fit(undefined, 30));
      }
      container.dataset.nodes = String(nodeCount);
      container.dataset.ready = "true";
      window.coopNetwork = cy; // for the browser tests, which click through the picture
    })
    .catch(fail);
});
