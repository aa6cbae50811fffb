// Drag and drop on the pipeline board. The move itself is the card's own form (which
// also works by keyboard and without JavaScript); dropping a card just posts it.
(function () {
  "use strict";
  let dragged = null;

  document.addEventListener("dragstart", function (event) {
    const card = event.target.closest && event.target.closest("[data-deal]");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    document.querySelectorAll(".column.is-target").forEach(function (c) {
      c.classList.remove("is-target");
    });
    dragged = null;
  });

  document.addEventListener("dragover", function (event) {
    const column = event.target.closest && event.target.closest("[data-phase]");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.add("is-target");
  });

  document.addEventListener("dragleave", function (event) {
    const column = event.target.closest && event.target.closest("[data-phase]");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-target");
  });

  document.addEventListener("drop", function (event) {
    const column = event.target.closest && event.target.closest("[data-phase]");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("is-target");
    const card = dragged;
    if (card.closest("[data-phase]") === column) return;
    column.querySelector(".column__cards").prepend(card);
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      swap: "none",
      values: { phase: column.dataset.phase, version: card.dataset.version },
    });
  });

  function say(text, kind) {
    const box = document.getElementById("board-messages");
    if (!box || !text) return;
    box.innerHTML = "";
    const p = document.createElement("p");
    p.className = "message message--" + kind;
    p.textContent = text;
    box.appendChild(p);
  }

  document.body.addEventListener("board-error", function (event) {
    say(event.detail && event.detail.message, "error");
  });
  document.body.addEventListener("board-changed", function (event) {
    if (event.detail && event.detail.message) say(event.detail.message, "success");
  });
})();
