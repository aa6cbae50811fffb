// Drag and drop in the calendar: dropping a task or a deal's next step on another day
// posts the move; the calendar then reloads itself (htmx, "calendar-changed"). Without
// JavaScript, or by keyboard, the item's own page changes its date.
(function () {
  "use strict";
  let dragged = null;

  document.addEventListener("dragstart", function (event) {
    const item = event.target.closest && event.target.closest("[data-kind][data-pk]");
    if (!item) return;
    dragged = item;
    item.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.item);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    document.querySelectorAll(".calendar__day.is-target").forEach(function (d) {
      d.classList.remove("is-target");
    });
    dragged = null;
  });

  document.addEventListener("dragover", function (event) {
    const day = event.target.closest && event.target.closest("[data-date]");
    if (!day || !dragged) return;
    event.preventDefault();
    day.classList.add("is-target");
  });

  document.addEventListener("dragleave", function (event) {
    const day = event.target.closest && event.target.closest("[data-date]");
    if (day && !day.contains(event.relatedTarget)) day.classList.remove("is-target");
  });

  document.addEventListener("drop", function (event) {
    const day = event.target.closest && event.target.closest("[data-date]");
    if (!day || !dragged) return;
    event.preventDefault();
    day.classList.remove("is-target");
    const item = dragged;
    if (item.closest("[data-date]") === day) return;
    day.querySelector(".calendar__items").appendChild(item);
    const calendar = document.getElementById("calendar");
    htmx.ajax("POST", calendar.dataset.moveUrl, {
      source: item,
      swap: "none",
      values: { kind: item.dataset.kind, pk: item.dataset.pk, date: day.dataset.date },
    }).then(function () {});
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr || !xhr.getResponseHeader("HX-Trigger")) return;
    if (xhr.getResponseHeader("HX-Trigger").indexOf("calendar-error") === -1) return;
    const box = document.getElementById("calendar-messages");
    box.innerHTML = "";
    const p = document.createElement("p");
    p.className = "message message--error";
    p.textContent = xhr.responseText;
    box.appendChild(p);
    htmx.trigger(document.body, "calendar-changed");
  });
})();
