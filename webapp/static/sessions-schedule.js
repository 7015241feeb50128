// P2C schedule: drag a session (from the grid or the unplaced list) onto a room and a
// half-hour of the grid; this fills that session's place form and submits it. The forms
// work without this script; keyboard users use them directly. No dependencies.
(function () {
  "use strict";
  var grid = document.querySelector(".schedule-grid");
  if (!grid || !window.HTMLFormElement.prototype.requestSubmit) return;

  // Wall-clock times as "YYYY-MM-DDTHH:MM", computed in UTC so no zone shifts them.
  function parse(value) { return value ? new Date(value + ":00Z") : null; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(d) {
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      "T" + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function formOf(id) { return /^[0-9]+$/.test(id || "") ? document.querySelector("form.place-form[data-session='" + id + "']") : null; }
  function field(form, name) { return form.querySelector("[name$='-" + name + "']"); }
  function under(selector, x, y, axis) {
    var found = null;
    grid.querySelectorAll(selector).forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (axis === "x" ? x >= r.left && x < r.right : y >= r.top && y < r.bottom) found = el;
    });
    return found;
  }

  document.querySelectorAll(".grid-session.is-editable, tr.unplaced[draggable=true]").forEach(function (el) {
    if (!formOf(el.getAttribute("data-session"))) return;
    el.setAttribute("draggable", "true");
    el.addEventListener("dragstart", function (e) {
      e.dataTransfer.setData("text/plain", el.getAttribute("data-session"));
      e.dataTransfer.effectAllowed = "move";
      el.classList.add("is-dragging");
      grid.classList.add("is-drop-target");
    });
    el.addEventListener("dragend", function () {
      el.classList.remove("is-dragging");
      grid.classList.remove("is-drop-target");
    });
  });

  grid.addEventListener("dragover", function (e) { e.preventDefault(); e.dataTransfer.dropEffect = "move"; });
  grid.addEventListener("drop", function (e) {
    e.preventDefault();
    var form = formOf(e.dataTransfer.getData("text/plain"));
    var room = under(".grid-room", e.clientX, e.clientY, "x");
    var slot = under(".grid-time", e.clientX, e.clientY, "y");
    if (!form || !room || !slot) return;
    var start = parse(slot.getAttribute("data-time"));
    var oldStart = parse(field(form, "starts_at").value), oldEnd = parse(field(form, "ends_at").value);
    var minutes = oldStart && oldEnd && oldEnd > oldStart ? (oldEnd - oldStart) / 60000 : 60;
    field(form, "room_id").value = room.getAttribute("data-room");
    field(form, "starts_at").value = format(start);
    field(form, "ends_at").value = format(new Date(start.getTime() + minutes * 60000));
    form.requestSubmit();
  });
})();
