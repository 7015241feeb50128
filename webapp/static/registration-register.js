// The registration form: the passport fields show only with a visa support request.
// Without JavaScript they are always shown (and only kept with a request).
(function () {
  "use strict";
  var box = document.getElementById("visa_support");
  var details = document.getElementById("visa-details");
  if (!box || !details) return;
  function sync() {
    details.hidden = !box.checked;
  }
  box.setAttribute("aria-controls", "visa-details");
  box.addEventListener("change", sync);
  sync();
})();
