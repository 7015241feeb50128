// Accreditation queue: a box that ticks (or unticks) every pending request of the page.
(function () {
  "use strict";
  document.querySelectorAll("input[data-tick-all]").forEach(function (all) {
    var name = all.getAttribute("data-tick-all");
    all.addEventListener("change", function () {
      document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
})();
